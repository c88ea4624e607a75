"""What the benchmark scripts share: the models directory argument (../shared/models beside the
repo by default) and its .tflite files, or (--seanet) TFLite Micro's int16 SEANet integration-test
models from the tflite-micro checkout $TINYGEN_TFLM_MODELS names."""
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
    """The models the arguments name; none prints why on stderr."""
    if not args.seanet:
        return find_models(args.models)
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
