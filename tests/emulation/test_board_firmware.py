"""Firmware for a real board links with the system toolchain and uses the RAM and flash that
`tinygen simulate` predicted."""
import shutil
import subprocess

import pytest

from helpers import shared_or_skip
from tinygen.boards import get_board
from tinygen.compiler import compile_model
from tinygen.options import CompileOptions
from tinygen.firmware import build_firmware
from tinygen.firmware.build import DEFAULT_STACK_BYTES
from tinygen.simulate import simulate


def sections(elf) -> dict:
    out = subprocess.run(["arm-none-eabi-size", "-A", str(elf)], capture_output=True, text=True, check=True).stdout
    return {line.split()[0]: int(line.split()[1]) for line in out.splitlines()[2:] if len(line.split()) == 3}


@pytest.mark.parametrize("patch", ["off", "auto"])
def test_disco_f746ng_vww_fits_as_simulate_predicted(tmp_path, patch):
    if shutil.which("arm-none-eabi-gcc") is None:
        pytest.skip("arm-none-eabi-gcc is absent (apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi)")
    model = shared_or_skip("models/mlperf_vww_96_int8.tflite")
    board = get_board("disco_f746ng")
    program = compile_model(model, CompileOptions(patch=patch), board)
    size = sections(build_firmware(program, board, tmp_path, profile=False))
    flash = size[".text"] + size.get(".data", 0)
    ram = size.get(".data", 0) + size[".bss"] + size.get(".stack", 0)
    assert flash <= board.link.flash_bytes and ram <= board.link.ram.bytes
    predicted = simulate(model, program)
    assert predicted["fits"]
    assert abs(flash - predicted["flash_bytes"]) <= 0.1 * predicted["flash_bytes"], (flash, predicted["flash_bytes"])
    # The firmware's RAM is the model's (arena) plus the stack it reserves for itself.
    model_ram = ram - DEFAULT_STACK_BYTES
    assert abs(model_ram - predicted["peak_sram_bytes"]) <= 0.1 * predicted["peak_sram_bytes"], model_ram
