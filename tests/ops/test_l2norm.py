from __future__ import annotations
from tinygen.compiler import compile_model
from tinygen.options import REFERENCE
from tinygen.validate import validate
import numpy as np
import pytest
from helpers import Spec, single_op_model


@pytest.mark.parametrize("shape, zp", [((2, 3, 5, 7), -4), ((1, 9000), 127)])
def test_l2norm(tmp_path, shape, zp):
    """Rows that are all zero point (a zero norm), and a row long enough that the sum of squares
    passes 2^29 (the inverse square root rescales it by powers of 4)."""
    x = Spec(shape, "int8", 0.03, zp)
    path = single_op_model(tmp_path / "l2.tflite", "L2_NORMALIZATION", [x], Spec(shape, "int8", 1 / 128, 0))
    rows = np.random.default_rng(0).integers(-128, 128, shape).astype(np.int8)
    rows.reshape(-1, shape[-1])[0] = zp
    np.save(tmp_path / "rows.npy", rows)
    report = validate(path, compile_model(path, REFERENCE), samples=3, input_files=(tmp_path / "rows.npy",))
    assert report.max_abs_diff == 0, report
