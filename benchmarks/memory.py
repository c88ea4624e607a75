"""Peak SRAM of tinygen's arena against TensorFlow Lite Micro's (and TinyEngine's), on every model in a directory.

    python benchmarks/memory.py [MODELS_DIR | --seanet] [--plot DIR] [--target BOARD] [--io-buffers]
                                [--tinyengine CHECKOUT --tinyengine-python PYTHON]

MODELS_DIR defaults to ../shared/models (beside the repo); with TINYGEN_TFLM_MODELS set to a
tensorflow/tflite-micro checkout, its LSTM and SVDF models are measured too, or with --seanet its
int16 SEANet integration-test models instead. For each .tflite file it prints:
TFLM's arena total as its RecordingMicroAllocator reports it after one invoke (run in a child
process by tinygen.oracle); tinygen's arena layer by layer and with patch-based stages (`--patch
auto`, at most 20% extra MACs), each with the model's own I/O and with `--io int8` (the boundary
QUANTIZE/DEQUANTIZE dropped: the caller's buffers are int8); the lower bound of the layer-based
schedule (the most bytes live at one step); TFLM/ours; then the geometric means, and per model
the patch stages chosen. Every tinygen figure counts the model input and output buffers, and the
persistent state of a model with LSTM or SVDF layers (its own column too: TFLM keeps variable
tensors in its arena).

With --tinyengine (a checkout of the TinyEngine repository) and --tinyengine-python (an interpreter
with numpy < 2, flatbuffers, tqdm and matplotlib, as TinyEngine needs), TinyEngine's own memory
scheduler runs on the same models (benchmarks/tinyengine_peak.py): layer-based, and 2x2
patch-based at its best split point. TinyEngine takes an int8 input and leaves the input image
out of its patch-based figure; compare those with tinygen's --io int8 columns.
With --plot DIR it also writes DIR/<model>.png, the `tinygen simulate --plot` picture.
With --io-buffers it adds what `--io-buffers separate` costs (patch auto, the model's own I/O):
the arena with the inputs and outputs in it (the default), the arena without them, and that arena
with the inputs' and outputs' own buffers, which is the RAM separate mode needs in all.
"""
from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
from pathlib import Path

from models import REPO, add_models_argument, models_of  # noqa: E402  (beside this script)

sys.path.insert(0, str(REPO))

from tinygen.boards import get_board  # noqa: E402
from tinygen.compiler import compile_model  # noqa: E402
from tinygen.options import CompileOptions  # noqa: E402
from tinygen.errors import TinygenError  # noqa: E402
from tinygen.oracle import tflm_arena_bytes  # noqa: E402


def geomean(values: list[float]) -> float:
    return math.exp(sum(math.log(v) for v in values) / len(values)) if values else float("nan")


def _stages(program) -> str:
    if program.patch is None:
        return f"none ({program.patch_note})"
    return "; ".join(f"ops {s['ops'][0]}-{s['ops'][-1]} in {s['tiles'][0]}x{s['tiles'][1]}"
                     for s in program.patch["stages"]) + f" (+{100 * program.patch['mac_overhead']:.1f}% MACs)"


def measure(model: Path, max_mac_overhead: float, kernels: str, target: str) -> dict:
    board = get_board(target)
    row = {"model": model.stem, "tflm": tflm_arena_bytes(model)["total"], "programs": {}}
    for io in ("model", "int8"):
        options = CompileOptions(max_mac_overhead=max_mac_overhead, kernels=kernels, io=io, optimize="memory")
        try:
            layer = compile_model(model, options.but(patch="off"), board)
        except TinygenError as e:
            if io == "model":
                raise
            row["int8_refused"] = str(e).rsplit(": ", 1)[-1]  # e.g. an int32 output no int8 tensor feeds
            row["programs"][io] = None
            continue
        if io == "int8" and not layer.graph.dropped_io:
            row["programs"][io] = None  # int8 input and output already: the same as --io model
            continue
        patch = compile_model(model, options, board)
        row["programs"][io] = {"off": layer, "auto": patch}
    return row


def io_buffer_cost(model: Path, max_mac_overhead: float, kernels: str, target: str, in_arena) -> dict:
    """The arena with --io-buffers separate, and its I/O buffers, beside the default's arena."""
    options = CompileOptions(max_mac_overhead=max_mac_overhead, kernels=kernels, io_buffers="separate")
    separate = compile_model(model, options, get_board(target))
    return {"model": model.stem, "arena": in_arena.plan.arena_bytes, "separate": separate.plan.arena_bytes,
            "io": separate.io_buffer_bytes}


def print_io_buffer_table(rows: list[dict]) -> None:
    print("\n--io-buffers separate: inputs and outputs outside the arena (patch auto, the model's own I/O)\n")
    print("| model | arena, I/O inside (default) | arena, separate | I/O buffers | separate total | total - default |")
    print("|---|---:|---:|---:|---:|---:|")
    for r in rows:
        total = r["separate"] + r["io"]
        print(f"| {r['model']} | {r['arena']:,} | {r['separate']:,} | {r['io']:,} | {total:,} | "
              f"{total - r['arena']:+,} |")


def tinyengine(python: str, checkout: Path, model: Path) -> dict:
    figures = {}
    for mode in ("layer", "2"):
        result = subprocess.run([python, str(Path(__file__).with_name("tinyengine_peak.py")), str(checkout),
                                 str(model), mode], capture_output=True, text=True)
        if result.returncode == 0 and result.stdout.strip():
            figures.update(json.loads(result.stdout.strip().splitlines()[-1]))
        else:
            figures["error"] = (result.stderr.strip().splitlines() or ["no output"])[-1]
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_models_argument(parser)
    parser.add_argument("--plot", type=Path, metavar="DIR", help="also write one simulate PNG per model here")
    parser.add_argument("--max-mac-overhead", type=float, default=0.2)
    parser.add_argument("--kernels", default="builtin", choices=["builtin", "reference"],
                        help="kernels whose scratch and in-place overlaps the plan counts (default: builtin, "
                             "what `tinygen generate` uses)")
    parser.add_argument("--target", default="qemu_mps2_an500",
                        help="board the models are compiled for (its SRAM limit is in the plots)")
    parser.add_argument("--io-buffers", action="store_true",
                        help="also compare the arena of --io-buffers separate, and its I/O buffers, with the default's")
    parser.add_argument("--tinyengine", type=Path, metavar="CHECKOUT", help="a checkout of the TinyEngine repository")
    parser.add_argument("--tinyengine-python", default=None, metavar="PYTHON",
                        help="the interpreter to run TinyEngine with (numpy < 2)")
    args = parser.parse_args(argv)
    if args.tinyengine and not args.tinyengine_python:
        parser.error("--tinyengine needs --tinyengine-python (TinyEngine runs with numpy < 2)")

    models = models_of(args)
    if not models:
        return 2
    rows, failed, io_rows = [], [], []
    for model in models:
        print(f"{model.stem} ...", file=sys.stderr, flush=True)
        try:
            rows.append(measure(model, args.max_mac_overhead, args.kernels, args.target))
            if args.io_buffers:
                io_rows.append(io_buffer_cost(model, args.max_mac_overhead, args.kernels, args.target,
                                              rows[-1]["programs"]["model"]["auto"]))
        except TinygenError as e:
            failed.append(f"{model.name}: {e}")
            continue
        if args.tinyengine:
            rows[-1]["tinyengine"] = tinyengine(args.tinyengine_python, args.tinyengine, model)
        if args.plot:
            from tinygen.simulate import plot
            plot(model, args.plot / f"{model.stem}.png", rows[-1]["programs"]["model"])
    print_table(rows, bool(args.tinyengine))
    print(f"(kernels: {args.kernels} for {args.target}; bytes; TFLM: RecordingMicroAllocator total after one invoke; "
          f"ours: the static arena with the input and output buffers, plus the state, patch-based where stages lower "
          f"it within {100 * args.max_mac_overhead:g}% extra MACs; int8: --io int8, '=' where the model's I/O is int8 "
          "already, '-' where --io int8 does not apply)")
    if io_rows:
        print_io_buffer_table(io_rows)
    for line in failed:
        print(f"skipped {line}", file=sys.stderr)
    if args.plot:
        print(f"plots in {args.plot}/")
    return 0 if rows else 1


def _arena(row: dict, io: str, mode: str) -> int:
    """The program's RAM: its arena and its persistent state."""
    programs = row["programs"][io] or row["programs"]["model"]
    return programs[mode].plan.arena_bytes + programs[mode].state_bytes


def print_table(rows: list[dict], with_tinyengine: bool) -> None:
    header = ["model", "TFLM arena", "ours layer", "ours patch", "int8 layer", "int8 patch", "lower bound", "state",
              "TFLM/layer", "TFLM/patch"]
    if with_tinyengine:
        header += ["TinyEngine layer", "TinyEngine patch 2x2 (split)"]
    print("| " + " | ".join(header) + " |")
    print("|---|" + "---:|" * (len(header) - 1))
    for r in rows:
        same = "-" if "int8_refused" in r else "=" if r["programs"]["int8"] is None else None
        cells = [r["model"], f"{r['tflm']:,}", f"{_arena(r, 'model', 'off'):,}", f"{_arena(r, 'model', 'auto'):,}",
                 same or f"{_arena(r, 'int8', 'off'):,}", same or f"{_arena(r, 'int8', 'auto'):,}",
                 f"{r['programs']['model']['off'].plan.lower_bound_bytes:,}",
                 f"{r['programs']['model']['off'].state_bytes:,}",
                 f"{r['tflm'] / _arena(r, 'model', 'off'):.2f}", f"{r['tflm'] / _arena(r, 'model', 'auto'):.2f}"]
        if with_tinyengine:
            te = r.get("tinyengine", {})
            cells += [f"{te['layer']:,}" if te.get("layer") else "-",
                      f"{te['patch']:,} ({te['split']})" if te.get("patch") else "-"]
        print("| " + " | ".join(cells) + " |")
    print(f"\ngeometric mean of TFLM/ours over {len(rows)} models: layer-based "
          f"{geomean([r['tflm'] / _arena(r, 'model', 'off') for r in rows]):.2f}x, patch-based "
          f"{geomean([r['tflm'] / _arena(r, 'model', 'auto') for r in rows]):.2f}x")
    for r in rows:
        if "int8_refused" in r:
            print(f"{r['model']}: no --io int8 column ('-'): {r['int8_refused']}")
    print("\npatch stages chosen (patch auto):")
    for r in rows:
        for io, programs in r["programs"].items():
            if programs is not None:
                print(f"  {r['model']} (--io {io}): {_stages(programs['auto'])}")


if __name__ == "__main__":
    sys.exit(main())
