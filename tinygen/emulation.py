"""Run a compiled model on an emulated board: build the firmware in a scratch directory, feed it
samples in one QEMU run, and return outputs and instruction counts."""
from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from tinygen.boards import Board
from tinygen.compiler import Program
from tinygen.errors import TinygenError


def require_emulated(board: Board) -> None:
    if not board.emulator:
        from tinygen.boards import all_boards

        emulated = ", ".join(b.name for b in all_boards() if b.emulator)
        raise TinygenError(f"board {board.name} has no emulator; emulated boards: {emulated} "
                           f"(for {board.name}, use `tinygen generate --board {board.name}` and `tinygen flash`)")


def run_emulated(program: Program, board: Board, samples: list[list[np.ndarray]], profile: bool = True,
                 progress=None, sequence: int = 0) -> tuple[list[list[np.ndarray]], dict]:
    """The samples through one model instance in order; sequence > 0: its state reset before
    every sequence-th sample (tinygen.firmware.build_firmware)."""
    from tinygen.firmware import build_firmware, run_qemu

    require_emulated(board)
    with tempfile.TemporaryDirectory(prefix="tinygen-fw-") as tmp:
        elf = build_firmware(program, board, Path(tmp), profile=profile, sequence=sequence)
        return run_qemu(elf, board, samples, program, progress=progress)


def profile_report(program: Program, board: Board, cycles: dict) -> dict:
    """Per-layer and total counts of one inference, with MACs per count; the patch stage tile by tile."""
    total = int(cycles["total"][0])
    layers = []
    for label, count in zip(cycles["steps"], cycles["layers"][0]):
        layers.append({**label, "cycles": int(count),
                       "macs_per_cycle": label["macs"] / count if count else 0.0,
                       "share": count / total if total else 0.0})
    macs = program.macs
    return {"board": board.name, "total_cycles": total, "macs": macs,
            "macs_per_cycle": macs / total if total else 0.0, "unit": cycles["unit"],
            "time_at_clock_ms": 1000.0 * total / board.clock_hz if board.clock_hz else None,
            "arena_bytes": program.plan.arena_bytes, "patch": program.patch,
            "stack_bytes_used": cycles.get("stack_bytes_used"), "layers": layers}
