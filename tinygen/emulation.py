"""Run a compiled model on an emulated board: build the firmware in a scratch directory, feed it
samples in one QEMU run, and return outputs and instruction counts."""
from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from tinygen.boards import Board
from tinygen.compiler import Program


def run_emulated(program: Program, board: Board, samples: list[list[np.ndarray]], profile: bool = True,
                 progress=None, sequence: int = 0) -> tuple[list[list[np.ndarray]], dict]:
    """The samples through one model instance in order; sequence > 0: its state reset before
    every sequence-th sample (tinygen.firmware.build_firmware)."""
    from tinygen.firmware import build_firmware, require_emulated, run_qemu

    require_emulated(board)
    with tempfile.TemporaryDirectory(prefix="tinygen-fw-") as tmp:
        elf = build_firmware(program, board, Path(tmp), profile=profile, sequence=sequence)
        return run_qemu(elf, board, samples, program, progress=progress)


def profile_report(program: Program, board: Board, cycles: dict, tiles: bool = False) -> dict:
    """Per-layer and total counts of one inference, with MACs per count. Rows carry the step
    numbers of `simulate`; a patch stage's tiles are summed per op and kernel (`tiles`: a row per
    tile call instead)."""
    total = int(cycles["total"][0])
    calls = [{**label, "cycles": int(count)} for label, count in zip(_call_steps(program), cycles["layers"][0])]
    layers = [{**row, "macs_per_cycle": row["macs"] / row["cycles"] if row["cycles"] else 0.0,
               "share": row["cycles"] / total if total else 0.0}
              for row in (calls if tiles else _per_layer(calls))]
    macs = program.macs
    return {"board": board.name, "total_cycles": total, "macs": macs,
            "macs_per_cycle": macs / total if total else 0.0, "unit": cycles["unit"],
            "time_at_clock_ms": 1000.0 * total / board.clock_hz if board.clock_hz else None,
            "arena_bytes": program.plan.arena_bytes, "patch": program.patch,
            "stack_bytes_used": cycles.get("stack_bytes_used"), "layers": layers}


def _call_steps(program: Program) -> list[dict]:
    """Each kernel call in execution order, labelled with the program step it belongs to."""
    return [{"step": i, "op_index": op.index, "op": op.kind, "kernel": call.kernel, "macs": int(call.macs),
             "calls": 1, "in_patch_stage": step.call.kind == "patch_stage"}
            for i, step in enumerate(program.steps) for op, call in step.call.kernel_calls(step.op)]


def _per_layer(calls: list[dict]) -> list[dict]:
    """The tile calls of a patch stage summed per (op, kernel); other calls as they are."""
    rows: dict[tuple, dict] = {}
    for call in calls:
        key = (call["step"], call["op_index"], call["kernel"])
        if key in rows:
            row = rows[key]
            row.update(macs=row["macs"] + call["macs"], cycles=row["cycles"] + call["cycles"], calls=row["calls"] + 1)
        else:
            rows[key] = dict(call)
    return list(rows.values())
