"""What the benchmark scripts share: the models directory argument (../shared/models beside the
repo by default) and its .tflite files."""
from __future__ import annotations

import argparse
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
