"""What the benchmark scripts share: the models directory argument (../shared/models beside the
repo by default) and its .tflite files, and the models with state (LSTM, SVDF) of a tflite-micro
checkout named by TINYGEN_TFLM_MODELS; or (--seanet) that checkout's int16 SEANet integration-test
models; and the boards a script is given. Where none of them is usable a script prints why in one
line and exits with 2 (bad input)."""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TFLM_ENV = "TINYGEN_TFLM_MODELS"
SEANET = "tensorflow/lite/micro/integration_tests/seanet"


def add_models_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("models", nargs="?", type=Path, default=REPO.parent / "shared" / "models",
                        help="directory of .tflite models (default: ../shared/models)")
    parser.add_argument("--seanet", action="store_true",
                        help=f"instead: the int16 SEANet models of the tflite-micro checkout ${TFLM_ENV} names")


def models_of(args: argparse.Namespace) -> list[Path]:
    """The models the arguments name (the directory's and, with ${TFLM_ENV}, TFLM's stateful
    ones; or --seanet's); none prints why on stderr."""
    if not args.seanet:
        return find_models(args.models) + tflm_stateful_models()
    checkout = os.environ.get(TFLM_ENV)
    if not checkout:
        print(f"--seanet: ${TFLM_ENV} is unset (set it to a tflite-micro checkout)", file=sys.stderr)
        return []
    models = sorted((Path(checkout) / SEANET).glob("*/*.tflite"))
    if not models:
        print(f"--seanet: no .tflite models under {Path(checkout) / SEANET}", file=sys.stderr)
    return models


def find_models(directory: Path) -> list[Path]:
    """The directory's .tflite files, sorted; none prints why on stderr."""
    models = sorted(directory.glob("*.tflite")) if directory.is_dir() else []
    if not models:
        print(f"no .tflite models in {directory} (the real models live in ../shared/models; "
              "pass another directory as the first argument)", file=sys.stderr)
    return models


# In a tensorflow/tflite-micro checkout: its int8 LSTM and SVDF models.
TFLM_STATEFUL_MODELS = ("tensorflow/lite/micro/examples/mnist_lstm/trained_lstm_int8.tflite",
                        "tensorflow/lite/micro/examples/dtln/dtln_noise_suppression.tflite",
                        "third_party/xtensa/examples/micro_speech_lstm/micro_speech_lstm.tflite",
                        "tensorflow/lite/micro/models/keyword_scrambled.tflite",
                        "tensorflow/lite/micro/models/keyword_scrambled_8bit.tflite")


def tflm_stateful_models() -> list[Path]:
    """TFLM_STATEFUL_MODELS in the checkout at $TINYGEN_TFLM_MODELS (none when it is unset)."""
    checkout = os.environ.get(TFLM_ENV)
    if not checkout:
        return []
    found = [Path(checkout) / relative for relative in TFLM_STATEFUL_MODELS]
    for path in found:
        if not path.exists():
            print(f"{path} is absent from the tflite-micro checkout at TINYGEN_TFLM_MODELS", file=sys.stderr)
    return [path for path in found if path.exists()]


def named_boards(script: str, names: list[str], emulated: bool = False) -> list | None:
    """The boards of these names (each one QEMU runs, with `emulated`), or None after one line on
    stderr naming the problem."""
    from tinygen.boards import get_board
    from tinygen.firmware import require_emulated
    from tinygen.errors import TinygenError

    try:
        boards = [get_board(name) for name in names]
        for board in boards if emulated else ():
            require_emulated(board)
    except TinygenError as e:
        print(f"{script}: {e}", file=sys.stderr)
        return None
    return boards
