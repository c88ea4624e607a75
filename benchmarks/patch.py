"""What patch-based stages cost in instructions on the emulated Cortex-M7, against what they save.

    python benchmarks/patch.py [MODELS_DIR] [--io model|int8] [--max-mac-overhead F] [--json]

MODELS_DIR defaults to ../shared/models. Each model is compiled for qemu_mps2_an500 with the
builtin kernels and `--optimize memory` (the smallest arena), once layer by layer and once with
`--patch auto`, and each firmware runs one random sample in QEMU. Per model: the arena both ways,
the MACs both ways (a stage recomputes its tiles' halos), and the instructions both ways; the
extra instructions come from those MACs, from the tiles' smaller loops and from copying each
tile into the stage output. Progress goes to stderr.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from models import REPO, add_models_argument, models_of  # noqa: E402  (beside this script)

sys.path.insert(0, str(REPO))

from tinygen.boards import get_board  # noqa: E402
from tinygen.compiler import compile_model  # noqa: E402
from tinygen.options import CompileOptions  # noqa: E402
from tinygen.emulation import run_emulated  # noqa: E402
from tinygen.errors import TinygenError  # noqa: E402
from tinygen.inputs import random_inputs  # noqa: E402
from tinygen.passes.int8_io import to_program_inputs  # noqa: E402

BOARD = "qemu_mps2_an500"


def measure(model: Path, io: str, max_mac_overhead: float, seed: int = 0) -> dict:
    board = get_board(BOARD)
    row = {"model": model.stem, "io": io}
    for mode in ("off", "auto"):
        program = compile_model(model, CompileOptions(patch=mode, max_mac_overhead=max_mac_overhead, io=io, optimize="memory"), board)
        sample = [to_program_inputs(program.graph, s) for s in random_inputs(program.graph, 1, seed)]
        _, cycles = run_emulated(program, board, sample, profile=False)
        row[mode] = {"arena_bytes": program.plan.arena_bytes, "macs": int(program.macs),
                     "instructions": int(cycles["total"][0]), "patch": program.patch}
    off, auto = row["off"], row["auto"]
    row["extra_macs"] = auto["macs"] - off["macs"]
    row["extra_instructions"] = auto["instructions"] - off["instructions"]
    return row


def _pct(extra: int, base: int) -> str:
    return f"{100 * extra / base:+.1f}%" if base else "-"


def print_table(rows: list[dict]) -> None:
    print(f"One inference on {BOARD} (Cortex-M7), builtin kernels, layer-based against --patch auto\n")
    print("| model | io | arena layer | arena patch | MACs layer | extra MACs | instructions layer | "
          "instructions patch | extra instructions | extra instr. per extra MAC |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        off, auto = r["off"], r["auto"]
        per_mac = f"{r['extra_instructions'] / r['extra_macs']:.2f}" if r["extra_macs"] else "-"
        print(f"| {r['model']} | {r['io']} | {off['arena_bytes']:,} | {auto['arena_bytes']:,} | {off['macs']:,} | "
              f"{r['extra_macs']:,} ({_pct(r['extra_macs'], off['macs'])}) | {off['instructions']:,} | "
              f"{auto['instructions']:,} | {r['extra_instructions']:,} "
              f"({_pct(r['extra_instructions'], off['instructions'])}) | {per_mac} |")
    print("\n(instructions executed under QEMU -icount, read through SysTick: not a real core's cycles)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_models_argument(parser)
    parser.add_argument("--io", choices=["model", "int8"], default="model")
    parser.add_argument("--max-mac-overhead", type=float, default=0.2)
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    args = parser.parse_args(argv)
    models = models_of(args)
    if not models:
        return 2
    rows = []
    for model in models:
        print(f"{model.stem} ...", file=sys.stderr, flush=True)
        try:
            rows.append(measure(model, args.io, args.max_mac_overhead))
        except TinygenError as e:
            print(f"skipped {model.name}: {e}", file=sys.stderr)
    if args.json:
        print(json.dumps(rows, indent=2, default=str))
    else:
        print_table(rows)
    return 0 if rows else 1


if __name__ == "__main__":
    sys.exit(main())
