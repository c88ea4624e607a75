"""Peak SRAM of tinygen's arena against TensorFlow Lite Micro's, on every model in a directory.

    python benchmarks/memory.py [MODELS_DIR] [--plot DIR] [--board NAME]

MODELS_DIR defaults to ../shared/models (beside the repo). For each .tflite file it prints:
TFLM's arena total as its RecordingMicroAllocator reports it after one invoke (run in a child
process by tinygen.oracle), tinygen's arena layer by layer and with patch-based execution of the
first stage (`--patch auto`, at most 20% extra MACs), the lower bound of the layer-based schedule
(the most bytes live at one step), and TFLM/ours for both; then the geometric mean of TFLM/ours.
With --plot DIR it also writes DIR/<model>.png, the `tinygen simulate --plot` picture.
"""
from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

from models import REPO, add_models_argument, find_models  # noqa: E402  (beside this script)

sys.path.insert(0, str(REPO))

from tinygen.boards import get_board  # noqa: E402
from tinygen.compiler import compile_model  # noqa: E402
from tinygen.errors import TinygenError  # noqa: E402
from tinygen.oracle import tflm_arena_bytes  # noqa: E402


def geomean(values: list[float]) -> float:
    return math.exp(sum(math.log(v) for v in values) / len(values)) if values else float("nan")


def measure(model: Path, max_mac_overhead: float, kernels: str, target: str) -> dict:
    board = get_board(target).to_dict()
    layer = compile_model(model, patch="off", kernels=kernels, board=board)
    patch = compile_model(model, patch="auto", max_mac_overhead=max_mac_overhead, kernels=kernels, board=board)
    tflm = tflm_arena_bytes(model)["total"]
    return {"model": model.stem, "tflm": tflm, "layer": layer.plan.arena_bytes, "patch": patch.plan.arena_bytes,
            "lower_bound": layer.plan.lower_bound_bytes, "tiles": patch.patch["tiles"] if patch.patch else None,
            "programs": {"off": layer, "auto": patch}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_models_argument(parser)
    parser.add_argument("--plot", type=Path, metavar="DIR", help="also write one simulate PNG per model here")
    parser.add_argument("--board", default=None, help="board whose SRAM limit the plots show (default: host)")
    parser.add_argument("--max-mac-overhead", type=float, default=0.2)
    parser.add_argument("--kernels", default="builtin", choices=["builtin", "reference"],
                        help="kernels whose scratch and in-place overlaps the plan counts (default: builtin, "
                             "what `tinygen generate` uses)")
    parser.add_argument("--target", default="qemu_mps2_an500", help="board the kernels are built for")
    args = parser.parse_args(argv)

    models = find_models(args.models)
    if not models:
        return 1
    rows, failed = [], []
    for model in models:
        try:
            rows.append(measure(model, args.max_mac_overhead, args.kernels, args.target))
        except TinygenError as e:
            failed.append(f"{model.name}: {e}")
            continue
        if args.plot:
            from tinygen.simulate import plot
            plot(model, args.board, args.plot / f"{model.stem}.png", args.max_mac_overhead,
                 programs=rows[-1]["programs"])

    header = ("model", "TFLM arena", "ours layer", "ours patch", "lower bound", "TFLM/layer", "TFLM/patch")
    print("| " + " | ".join(header) + " |")
    print("|---|" + "---:|" * (len(header) - 1))
    for r in rows:
        tiles = f" ({r['tiles']}x{r['tiles']})" if r["tiles"] else ""
        print(f"| {r['model']} | {r['tflm']:,} | {r['layer']:,} | {r['patch']:,}{tiles} | {r['lower_bound']:,} "
              f"| {r['tflm'] / r['layer']:.2f} | {r['tflm'] / r['patch']:.2f} |")
    print(f"\ngeometric mean of TFLM/ours over {len(rows)} models: layer-based "
          f"{geomean([r['tflm'] / r['layer'] for r in rows]):.2f}x, patch-based "
          f"{geomean([r['tflm'] / r['patch'] for r in rows]):.2f}x")
    print(f"(kernels: {args.kernels} for {args.target}) "
          "(bytes; TFLM: RecordingMicroAllocator total after one invoke; ours: the static arena, "
          "patch-based where a tiled first stage lowers it within 20% extra MACs; (NxN) = tiles)")
    for line in failed:
        print(f"skipped {line}", file=sys.stderr)
    if args.plot:
        print(f"plots in {args.plot}/")
    return 0 if rows else 1


if __name__ == "__main__":
    sys.exit(main())
