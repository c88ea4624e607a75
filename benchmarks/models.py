"""What the benchmark scripts share: the models directory argument (../shared/models beside the
repo by default) and its .tflite files, and the models with state (LSTM, SVDF) of a tflite-micro
checkout named by TINYGEN_TFLM_MODELS."""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def add_models_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("models", nargs="?", type=Path, default=REPO.parent / "shared" / "models",
                        help="directory of .tflite models (default: ../shared/models)")


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
    checkout = os.environ.get("TINYGEN_TFLM_MODELS")
    if not checkout:
        return []
    found = [Path(checkout) / relative for relative in TFLM_STATEFUL_MODELS]
    for path in found:
        if not path.exists():
            print(f"{path} is absent from the tflite-micro checkout at TINYGEN_TFLM_MODELS", file=sys.stderr)
    return [path for path in found if path.exists()]
