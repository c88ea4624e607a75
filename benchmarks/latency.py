"""Latency of the kernel backends on an emulated board, on every model in a directory.

    python benchmarks/latency.py [MODELS_DIR] [--board B] [--cmsis-nn PATH] [--patch off|auto] [--layers] [--json]

MODELS_DIR defaults to ../shared/models (beside the repo); TINYGEN_TFLM_MODELS (a tflite-micro
checkout) adds its LSTM and SVDF models. Each model is compiled for --board (any emulated board,
default qemu_mps2_an500: Cortex-M7 with the DSP extension) with tinygen's `builtin` kernels, the
`reference` kernels and, given a CMSIS-NN checkout (--cmsis-nn PATH or TINYGEN_CMSIS_NN), Arm's
`cmsis-nn`; each firmware runs one random sample in QEMU. A model that does not fit the board
(its arena and the firmware's stack, or its flash) is reported as failed for that backend. The
table gives the instruction count
of one inference per backend ("cycles"), reference/builtin and cmsis-nn/builtin (above 1: builtin
is faster) and MACs per cycle; then the geometric means of the ratios.

The counts are instructions executed under QEMU -icount, read through the firmware's SysTick:
exact and repeatable, but not the cycles of a real core (no pipeline, caches, flash wait states
or multi-cycle instructions are modelled).

By default every backend runs its own kernels at every layer (memory_first=False): the kernel
comparison. --memory-first compiles with `--optimize memory`, where a backend gives up speed at
the layers that set the arena's peak (a leaner builtin variant, or the reference kernel) to
shrink the arena. The arena of each build is printed below the table.

--layers adds, per model, the same comparison layer by layer (a profiled build of each backend;
layers are matched by op, patch-based tiles summed per op) to show where builtin loses.
Progress goes to stderr; --json prints one object instead of the tables.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
from pathlib import Path

from models import REPO, add_models_argument, models_of, named_boards  # noqa: E402  (beside this script)

sys.path.insert(0, str(REPO))

from tinygen.backends import cmsis_nn
from tinygen.boards import Board
from tinygen.compiler import compile_model
from tinygen.options import CompileOptions
from tinygen.errors import TinygenError

DEFAULT_BOARD = "qemu_mps2_an500"
BASELINE = "builtin"


def geomean(values: list[float]) -> float | None:
    values = [v for v in values if v and v > 0]
    return math.exp(sum(math.log(v) for v in values) / len(values)) if values else None


def run_backend(model: Path, board: Board, options: CompileOptions, layers: bool, seed: int) -> dict:
    """One inference of one random sample: total instructions (and per op with layers=True)."""
    from tinygen.emulation import profile_report, run_emulated
    from tinygen.inputs import random_inputs

    program = compile_model(model, options, board)
    sample = random_inputs(program.graph, 1, seed)
    _, cycles = run_emulated(program, board, sample, profile=False)
    total = int(cycles["total"][0])
    result = {"cycles": total, "macs": int(program.macs), "macs_per_cycle": program.macs / total if total else 0.0,
              "arena_bytes": program.plan.arena_bytes, "unit": cycles["unit"]}
    if layers:
        _, profiled = run_emulated(program, board, sample, profile=True)
        per_op: dict[int, dict] = {}
        for label in profile_report(program, board, profiled)["layers"]:
            row = per_op.setdefault(label["op_index"], {"op_index": label["op_index"], "op": label["op"],
                                                        "macs": 0, "cycles": 0, "kernels": []})
            row["cycles"] += label["cycles"]
            row["macs"] += label["macs"]
            if label["kernel"] not in row["kernels"]:
                row["kernels"].append(label["kernel"])
        result["layers"] = [per_op[i] for i in sorted(per_op)]
    return result


def measure(model: Path, board: Board, backends: list[str], options: CompileOptions, layers: bool,
            seed: int) -> dict:
    row = {"model": model.stem, "backends": {}, "errors": {}}
    for kernels in backends:
        print(f"{model.stem}: {kernels} ...", file=sys.stderr, flush=True)
        try:
            row["backends"][kernels] = run_backend(model, board, options.but(kernels=kernels), layers, seed)
        except TinygenError as e:
            row["errors"][kernels] = str(e)
            print(f"{model.stem}: {kernels} failed: {e}", file=sys.stderr, flush=True)
        except Exception as e:  # noqa: BLE001 -- a backend's bug: report it, measure the rest
            row["errors"][kernels] = f"{type(e).__name__}: {e}"
            print(f"{model.stem}: {kernels} crashed: {type(e).__name__}: {e}", file=sys.stderr, flush=True)
    base = row["backends"].get(BASELINE)
    row["macs"] = next((b["macs"] for b in row["backends"].values()), 0)
    row["ratios"] = {k: (b["cycles"] / base["cycles"] if base and base["cycles"] else None)
                     for k, b in row["backends"].items() if k != BASELINE}
    return row


def _fmt(value, spec: str, width: int) -> str:
    return f"{'-':>{width}}" if value is None else f"{value:>{width}{spec}}"


def describe(board: Board) -> str:
    """The board's core as the table's title names it: "Cortex-M7, DSP"."""
    extensions = [what for what, present in (("DSP", board.dsp), ("Helium", board.has_mve)) if present]
    return ", ".join([board.core.replace("cortex-m", "Cortex-M").replace("plus", "+")] + (extensions or ["no DSP"]))


def print_table(rows: list[dict], board: Board, backends: list[str], unit: str, patch: str,
                memory_first: bool) -> None:
    others = [k for k in backends if k != BASELINE]
    how = "memory first (--optimize memory)" if memory_first else "each backend's kernels at every layer"
    print(f"One inference on {board.name} ({describe(board)}), kernels compared, patch {patch}, {how}\n")
    head = f"{'model':28} {'MACs':>11}" + "".join(f" {k:>12}" for k in backends)
    head += "".join(f" {k[:5] + '/' + BASELINE[:5]:>11}" for k in others)
    head += "  MACs/instruction " + " / ".join(k[:5] for k in backends)
    print(head)
    for r in rows:
        b = r["backends"]
        line = f"{r['model']:28} {r['macs']:>11,}"
        line += "".join(_fmt(b[k]["cycles"] if k in b else None, ",", 13) for k in backends)
        line += "".join(_fmt(r["ratios"].get(k), ".2f", 12) for k in others)
        line += "  " + " / ".join(f"{b[k]['macs_per_cycle']:.3f}" if k in b else "-" for k in backends)
        print(line)
    means = "  ".join(f"{k}/{BASELINE} {m:.2f}" for k in others
                      if (m := geomean([r["ratios"].get(k) for r in rows])) is not None)
    if means:
        print(f"\ngeometric mean of the ratios: {means} (above 1: {BASELINE} is faster)")
    print(f"cycles: {unit}")
    print("\narena bytes: " + " / ".join(backends))
    for r in rows:
        print(f"{r['model']:28} " + " / ".join(f"{r['backends'][k]['arena_bytes']:,}" if k in r["backends"] else "-"
                                               for k in backends))


def print_layers(rows: list[dict], backends: list[str]) -> None:
    for r in rows:
        present = [k for k in backends if "layers" in r["backends"].get(k, {})]
        if len(present) < 2:
            continue
        base_name = BASELINE if BASELINE in present else present[0]
        others = [k for k in present if k != base_name]
        by_op = {k: {row["op_index"]: row for row in r["backends"][k]["layers"]} for k in present}
        print(f"\n{r['model']}: layer by layer (tiles of a patch-based stage summed per op)")
        print(f"{'op':>3}  {'kind':20} {'MACs':>10}" + "".join(f" {k:>12}" for k in present)
              + "".join(f" {k[:5] + '/' + base_name[:5]:>11}" for k in others) + f"  {base_name} kernel")
        for index in sorted(by_op[base_name]):
            base = by_op[base_name][index]
            line = f"{index:>3}  {base['op']:20} {base['macs']:>10,}"
            line += "".join(_fmt(by_op[k].get(index, {}).get("cycles"), ",", 13) for k in present)
            slower = False
            for k in others:
                other = by_op[k].get(index)
                ratio = other["cycles"] / base["cycles"] if other and base["cycles"] else None
                line += _fmt(ratio, ".2f", 12)
                slower = slower or (ratio is not None and ratio < 1)
            line += f"  {'+'.join(base['kernels'])}" + (f"  <- {base_name} slower" if slower else "")
            print(line)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_models_argument(parser)
    parser.add_argument("--board", default=DEFAULT_BOARD,
                        help=f"the emulated board to run on (default {DEFAULT_BOARD}; `tinygen boards` lists them)")
    parser.add_argument("--cmsis-nn", metavar="PATH", default=None,
                        help=f"CMSIS-NN checkout, to add the cmsis-nn backend (default: ${cmsis_nn.ENV})")
    parser.add_argument("--patch", choices=["off", "auto"], default="off",
                        help="off: layer by layer (default); auto: patch-based first stage where it saves SRAM")
    parser.add_argument("--layers", action="store_true", help="also compare the backends layer by layer")
    parser.add_argument("--memory-first", action="store_true",
                        help="compile with --optimize memory: slower kernels where they shrink the arena")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of the tables")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random sample (default 0)")
    args = parser.parse_args(argv)

    boards = named_boards("latency.py", [args.board], emulated=True)
    models = models_of(args) if boards else []
    if not models:
        return 2
    board = boards[0]
    checkout = args.cmsis_nn or os.environ.get(cmsis_nn.ENV)
    backends = [BASELINE, "reference"]
    if checkout:
        try:
            cmsis_nn.cmsis_nn_path(checkout)
        except TinygenError as e:
            print(f"latency.py: {e}", file=sys.stderr)
            return 2
        backends.append("cmsis-nn")
    else:
        print(f"cmsis-nn left out: no CMSIS-NN checkout (--cmsis-nn PATH or {cmsis_nn.ENV})", file=sys.stderr)

    options = CompileOptions(patch=args.patch, optimize="memory" if args.memory_first else "speed", cmsis_nn=checkout)
    rows = [measure(model, board, backends, options, args.layers, args.seed) for model in models]
    unit = next((b["unit"] for r in rows for b in r["backends"].values()), "")
    if args.json:
        others = [k for k in backends if k != BASELINE]
        print(json.dumps({"board": board.name, "core": board.core, "patch": args.patch, "memory_first": args.memory_first, "backends": backends, "baseline": BASELINE,
                          "unit": unit, "models": rows,
                          "geomean_ratios": {k: geomean([r["ratios"].get(k) for r in rows]) for k in others}},
                         indent=2))
    else:
        print_table(rows, board, backends, unit, args.patch, args.memory_first)
        if args.layers:
            print_layers(rows, backends)
    failed = [f"{r['model']} ({k}): {e}" for r in rows for k, e in r["errors"].items()]
    for line in failed:
        print(f"failed: {line}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
