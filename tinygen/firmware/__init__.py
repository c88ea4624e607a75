"""Bare-metal firmware for Cortex-M boards and runs under QEMU: build_firmware() builds fw.elf from a
compiled model; run_qemu() feeds it samples and returns outputs and instruction counts."""
from tinygen.firmware.build import build_firmware, require_emulated, write_firmware
from tinygen.firmware.qemu import run_qemu

__all__ = ["build_firmware", "require_emulated", "run_qemu", "write_firmware"]
