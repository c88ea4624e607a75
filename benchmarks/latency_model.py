"""The architecture search's latency model, measured: MACs per cycle by layer kind on each core.

    python benchmarks/latency_model.py [MODELS_DIR] [--board B ...] [--write] [--json]

`tinygen search --latency MS` estimates a candidate's milliseconds from its MACs by layer kind
(pointwise and other convolutions, depthwise, the rest) and the number of layers without MACs,
with per-core figures from boards/cores/latency.json. This script profiles every model of
MODELS_DIR (default ../shared/models) with the builtin kernels, patch off, on one emulated board
per core (by default, for each core, the emulated board with the most RAM), sums MACs and
instructions per kind over all layers of all models, and prints per core the rates and, per
model, the estimate against the measured total (both in instructions under QEMU -icount).
--write stores the rates in boards/cores/latency.json (run it when the kernels change: the
emulation tier checks that the stored figures still predict the measurement).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from models import REPO, add_models_argument, models_of, named_boards  # noqa: E402  (beside this script)

sys.path.insert(0, str(REPO))

from tinygen.boards import Board, all_boards, boards_dir
from tinygen.compiler import compile_model
from tinygen.emulation import profile_report, run_emulated
from tinygen.errors import TinygenError
from tinygen.inputs import random_inputs
from tinygen.nas.graph import LATENCY_KINDS, latency_kind
from tinygen.options import CompileOptions

OPTIONS = CompileOptions(patch="off")  # the search estimates layer-based networks


def default_boards() -> list[Board]:
    """One emulated board per core: the one with the most RAM (where the most models fit)."""
    best: dict[str, Board] = {}
    for board in all_boards():
        if board.emulator and (board.core not in best or board.sram_bytes > best[board.core].sram_bytes):
            best[board.core] = board
    return [best[core] for core in sorted(best)]


def profile_layers(model: Path, board: Board) -> list[dict]:
    """Per layer of one inference: its latency kind, MACs and instructions."""
    program = compile_model(model, OPTIONS, board)
    ops = {step.op.index: step.op for step in program.steps}
    _, cycles = run_emulated(program, board, random_inputs(program.graph, 1, 0), profile=True)
    return [{"kind": latency_kind(ops[row["op_index"]]), "macs": row["macs"], "cycles": row["cycles"]}
            for row in profile_report(program, board, cycles)["layers"]]


def fit(layers: list[dict]) -> dict:
    """MACs per cycle of each kind over all its layers with MACs; cycles of a layer without MACs."""
    rates = {}
    for kind in LATENCY_KINDS:
        rows = [r for r in layers if r["kind"] == kind and r["macs"]]
        cycles = sum(r["cycles"] for r in rows)
        rates[kind] = round(sum(r["macs"] for r in rows) / cycles, 4) if cycles else None
    moves = [r["cycles"] for r in layers if not r["macs"]]
    return {"macs_per_cycle": rates, "cycles_per_layer_without_macs": round(sum(moves) / len(moves)) if moves else 0}


def estimate(layers: list[dict], figures: dict) -> float:
    rates = figures["macs_per_cycle"]
    return (sum(r["macs"] / rates[r["kind"]] for r in layers if r["macs"])
            + figures["cycles_per_layer_without_macs"] * sum(1 for r in layers if not r["macs"]))


def measure_board(board: Board, models: list[Path]) -> dict:
    per_model = {}
    for model in models:
        print(f"{board.name}: {model.stem} ...", file=sys.stderr, flush=True)
        try:
            per_model[model.stem] = profile_layers(model, board)
        except TinygenError as e:
            print(f"{board.name}: {model.stem} left out: {e}", file=sys.stderr, flush=True)
    figures = fit([row for layers in per_model.values() for row in layers])
    # A kind no model has (None) takes the slowest measured rate: an estimate errs towards slow.
    measured = [r for r in figures["macs_per_cycle"].values() if r]
    figures["macs_per_cycle"] = {k: r or min(measured) for k, r in figures["macs_per_cycle"].items()}
    checks = {name: {"measured": sum(r["cycles"] for r in layers), "estimated": round(estimate(layers, figures))}
              for name, layers in per_model.items()}
    return {"board": board.name, **figures, "models": sorted(per_model), "checks": checks}


def print_core(core: str, result: dict) -> None:
    rates = ", ".join(f"{k} {v:.3f}" for k, v in result["macs_per_cycle"].items())
    print(f"{core} on {result['board']}: MACs/instruction {rates}; "
          f"{result['cycles_per_layer_without_macs']:,} per layer without MACs")
    print(f"  {'model':28} {'measured':>12} {'estimated':>12} {'est/meas':>9}")
    for name, c in result["checks"].items():
        print(f"  {name:28} {c['measured']:>12,} {c['estimated']:>12,} {c['estimated'] / c['measured']:>9.2f}")


def write_table(results: dict[str, dict]) -> Path:
    path = boards_dir() / "cores" / "latency.json"
    table = json.loads(path.read_text())
    for core, result in results.items():
        table["cores"][core] = {k: result[k] for k in ("board", "macs_per_cycle", "cycles_per_layer_without_macs",
                                                        "models")}
    path.write_text(json.dumps(table, indent=2) + "\n")
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_models_argument(parser)
    parser.add_argument("--board", action="append", default=[],
                        help="an emulated board to measure (repeatable; default: one per core)")
    parser.add_argument("--write", action="store_true", help="store the figures in boards/cores/latency.json")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of the tables")
    args = parser.parse_args()
    boards = named_boards("latency_model.py", args.board, emulated=True) if args.board else default_boards()
    models = models_of(args) if boards else []
    if not models:
        return 2
    results = {board.core: measure_board(board, models) for board in boards}
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        for core, result in results.items():
            print_core(core, result)
    if args.write:
        print(f"wrote {write_table(results)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
