"""What fitting the builtin kernels into a board's flash costs, on every model in a directory.

    python benchmarks/flash_fit.py [MODELS_DIR] --board BOARD --emulator EMULATED [--patch off] [--json]

Each model is compiled for BOARD (usually a real one: the limits of its link) three ways: builtin
kernels everywhere (`--optimize speed`), as tinygen compiles it by default (the builtin kernels
fitted into the flash, some ops on reference kernels: tinygen.flash_fit), and reference kernels
everywhere; each one's flash measured as `tinygen simulate --board` measures it. The three kernel
choices then run one inference each on EMULATED, an emulated board of the same core class, under
QEMU -icount: instructions (the ops chosen for BOARD, compiled for EMULATED). Models that fit
BOARD with the builtin kernels everywhere need no choice and are only listed. Progress goes to
stderr.
"""
from __future__ import annotations

import argparse
import json
import sys

from models import REPO, add_models_argument, find_models, named_boards  # noqa: E402  (beside this script)

sys.path.insert(0, str(REPO))

from tinygen.compiler import compile_model
from tinygen.emulation import run_emulated
from tinygen.errors import TinygenError
from tinygen.flash_fit import compile_within_flash
from tinygen.inputs import random_inputs
from tinygen.options import CompileOptions
from tinygen.simulate import fit_of

CHOICES = ("builtin", "fitted", "reference")


def instructions(model, options: CompileOptions, board) -> int | None:
    """One inference's instructions on the emulated board; None where the program overflows its flash."""
    program = compile_model(model, options, board)
    if not fit_of(program)["flash_fits"]:
        return None
    _, cycles = run_emulated(program, board, random_inputs(program.graph, 1, 0), profile=False)
    return int(cycles["total"][0])


def measure(model, options: CompileOptions, board, emulated) -> dict:
    programs = {"builtin": compile_model(model, options.but(optimize="speed"), board),
                "fitted": compile_within_flash(model, options, board),
                "reference": compile_model(model, options.but(kernels="reference"), board)}
    row = {"reference_ops": list(programs["fitted"].options.reference_ops),
           "optimized_ops": len({op.index for op, call in programs["builtin"].calls
                                 if call.kernel.startswith(("opt_", "mve_"))})}
    for name, program in programs.items():
        verdict = fit_of(program)
        row[name] = {"flash_used_bytes": verdict["flash_used_bytes"], "fits": verdict["flash_fits"]}
    if row["builtin"]["fits"] or not row["reference"]["fits"]:
        return row
    for name, program in programs.items():
        row[name]["instructions"] = instructions(model, program.options.but(optimize="auto"), emulated)
    return row


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_models_argument(parser)
    parser.add_argument("--board", required=True, help="the board whose flash the kernels are fitted into")
    parser.add_argument("--emulator", required=True, help="an emulated board of the same core class, to run on")
    parser.add_argument("--patch", choices=("auto", "off"), default="auto", help="patch-based stages (default: auto)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    args = parser.parse_args(argv)
    boards = named_boards("flash_fit.py", [args.board])
    emulated = named_boards("flash_fit.py", [args.emulator], emulated=True) if boards else None
    models = find_models(args.models) if emulated else []
    if not models:
        return 2
    board, emulator = boards[0], emulated[0]
    options = CompileOptions(patch=args.patch)
    rows = []
    for model in models:
        print(f"{model.stem} on {board.name} ...", file=sys.stderr, flush=True)
        try:
            rows.append({"model": model.stem, **measure(model, options, board, emulator)})
        except TinygenError as e:
            print(f"flash_fit.py: {e}", file=sys.stderr)
            return 2
    if args.json:
        print(json.dumps({"board": board.name, "emulator": emulator.name, "patch": args.patch, "rows": rows}, indent=2))
        return 0
    print(f"Flash used on {board.name} (of its link's {board.link.flash_bytes:,} bytes, the framework's "
          f"reserve and the sample input included), patch {args.patch}; instructions of one inference on "
          f"{emulator.name}\n")
    print(f"{'model':28} {'builtin flash':>13} {'fitted flash':>12} {'reference flash':>15} {'ops on reference':>16} "
          f"{'builtin instr':>13} {'fitted instr':>12} {'reference instr':>15}")
    for r in rows:
        flash = [f"{r[c]['flash_used_bytes']:,}{'' if r[c]['fits'] else '!'}" for c in CHOICES]
        counts = [f"{r[c]['instructions']:,}" if r[c].get("instructions") else "-" for c in CHOICES]
        kept = f"{len(r['reference_ops'])} of {r['optimized_ops']}"
        print(f"{r['model']:28} {flash[0]:>13} {flash[1]:>12} {flash[2]:>15} {kept:>16} "
              f"{counts[0]:>13} {counts[1]:>12} {counts[2]:>15}")
    print("\n! does not fit; '-': not run (builtin fits everywhere, reference does not fit either, or the "
          "program does not fit the emulated board's flash)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
