import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("TINYGEN_SHARED", REPO.parent / "shared"))
SHARED_MODELS = sorted((SHARED / "models").glob("*.tflite"))


def shared_or_skip(relative: str) -> Path:
    path = SHARED / relative
    if not path.exists():
        pytest.skip(f"{path} is absent (the real models and data live in ../shared)")
    return path
