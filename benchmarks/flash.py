"""Flash of the kernel backends per core class, on every model in a directory.

    python benchmarks/flash.py [MODELS_DIR] [--boards B,B,...] [--json]

MODELS_DIR defaults to ../shared/models (beside the repo). Each model is compiled for one board of
each core class (by default the emulated ones: Cortex-M0, M3, M4, M7, M33, M55, and the M0+ board
nucleo_g071rb) with the `builtin` and the `reference` kernels, and its flash measured as
`tinygen simulate --board` measures it: the generated model.c and kernels built with
arm-none-eabi-gcc -O2 for the board's core and linked with unused code dropped. The table gives
code bytes (.text less constant data) and all flash (code, constants, initialised data) per
backend, and what builtin costs over reference. Progress goes to stderr.
"""
from __future__ import annotations

import argparse
import json
import sys

from models import REPO, add_models_argument, find_models, named_boards  # noqa: E402  (beside this script)

sys.path.insert(0, str(REPO))

from tinygen.compiler import compile_model
from tinygen.errors import TinygenError
from tinygen.options import CompileOptions
from tinygen.simulate import flash_use

DEFAULT_BOARDS = ("qemu_netduino2_m0", "nucleo_g071rb", "qemu_mps2_an385", "qemu_mps2_an386", "qemu_mps2_an500",
                  "qemu_mps2_an505", "qemu_mps3_an547")
BACKENDS = ("builtin", "reference")


def measure(model, board, kernels: str) -> dict:
    program = compile_model(model, CompileOptions(patch="off", kernels=kernels), board)
    flash = flash_use(program, board)
    if flash.is_estimate:
        raise TinygenError("arm-none-eabi-gcc is absent: the flash would be the host's estimate")
    return {"code_bytes": flash.code_bytes, "flash_bytes": flash.flash_bytes}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_models_argument(parser)
    parser.add_argument("--boards", default=",".join(DEFAULT_BOARDS),
                        help="comma-separated boards, one per core class (default: %(default)s)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    args = parser.parse_args(argv)
    boards = named_boards("flash.py", args.boards.split(","))
    models = find_models(args.models) if boards else []
    if not models:
        return 2
    rows = []
    for model in models:
        for board in boards:
            print(f"{model.stem} on {board.name} ...", file=sys.stderr, flush=True)
            try:
                sizes = {k: measure(model, board, k) for k in BACKENDS}
            except TinygenError as e:
                print(f"flash.py: {e}", file=sys.stderr)
                return 2
            rows.append({"model": model.stem, "board": board.name, "core": board.core, **sizes})
    if args.json:
        print(json.dumps({"backends": BACKENDS, "rows": rows}, indent=2))
        return 0
    print("Flash (bytes) per core class, patch off: code / all flash; builtin - reference\n")
    print(f"{'model':28} {'core':14} {'builtin code':>12} {'reference code':>14} {'builtin flash':>13} "
          f"{'reference flash':>15} {'builtin - reference':>19}")
    for r in rows:
        b, ref = r["builtin"], r["reference"]
        print(f"{r['model']:28} {r['core']:14} {b['code_bytes']:>12,} {ref['code_bytes']:>14,} {b['flash_bytes']:>13,} "
              f"{ref['flash_bytes']:>15,} {b['flash_bytes'] - ref['flash_bytes']:>+19,}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
