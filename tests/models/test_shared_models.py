"""Every real model in ../shared/models generates, compiles and matches TFLite Micro bit for bit, with
the default (builtin) kernels, patch-based inference off and auto."""
import json
import subprocess
import sys

import pytest

from helpers import SHARED_MODELS, compiled, shared_or_skip
from tinygen.options import CompileOptions

MODEL_NAMES = [p.stem for p in SHARED_MODELS] or ["(../shared/models absent)"]


@pytest.mark.parametrize("patch", ["off", "auto"])
@pytest.mark.parametrize("name", MODEL_NAMES)
def test_shared_model_is_bit_exact(name, patch):
    model = shared_or_skip(f"models/{name}.tflite")
    result = subprocess.run([sys.executable, "-m", "tinygen", "validate", str(model), "--samples", "20", "--json",
                             "--patch", patch], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr or result.stdout
    report = json.loads(result.stdout)
    assert report["samples"] == 20
    assert report["max_abs_diff"] == 0
    assert all(o["max_abs_diff"] == 0 for o in report["outputs"])
    program = compiled(model, CompileOptions(patch=patch))
    assert any(call.function.startswith("opt_") for _, call in program.calls), "validated with the builtin kernels"
    if patch == "off" or name not in ("mlperf_vww_96_int8", "tflm_person_detect_int8"):
        return
    assert report["patch"] and report["patch"]["mac_overhead"] <= 0.2, "these two gain from patch-based inference"


def test_validate_accepts_images_and_npy(tmp_path):
    import numpy as np

    model = shared_or_skip("models/tflm_person_detect_int8.tflite")
    image = shared_or_skip("images/person.bmp")
    sample = tmp_path / "x.npy"
    np.save(sample, np.zeros((1, 96, 96, 1), np.int8))
    result = subprocess.run([sys.executable, "-m", "tinygen", "validate", str(model), "--samples", "1",
                             "--input", str(image), "--input", str(sample), "--json"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["samples"] == 3
