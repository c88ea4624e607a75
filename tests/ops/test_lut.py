from __future__ import annotations
from hypothesis import given
from hypothesis import strategies as st
from tinygen.compiler import compile_model
from tinygen.errors import TinygenError
from tinygen.options import REFERENCE
from tinygen.validate import validate
import numpy as np
import pytest
from helpers import FEW, Spec, single_op_model, validate_every_int8, wide_scales, zero_points


@FEW
@given(st.sampled_from(["ELU", "ABS"]), wide_scales, zero_points, wide_scales, zero_points)
def test_table_ops_every_input(tmp_path, kind, input_scale, input_zp, output_scale, output_zp):
    path = single_op_model(tmp_path / "u.tflite", kind, [Spec((256,), "int8", input_scale, input_zp)],
                           Spec((256,), "int8", output_scale, output_zp))
    validate_every_int8(path, tmp_path, (256,))


@FEW
@given(st.floats(-10, 2), st.integers(-128, 0), st.floats(-6, 4), zero_points)
def test_rsqrt_every_valid_input(tmp_path, input_exp, input_zp, output_exp, output_zp):
    """Every input at or above the zero point (TFLM fails the invocation for the others)."""
    x = Spec((256,), "int8", 2.0 ** input_exp, input_zp)
    path = single_op_model(tmp_path / "rs.tflite", "RSQRT", [x], Spec((256,), "int8", 2.0 ** output_exp, output_zp))
    np.save(tmp_path / "valid.npy", np.resize(np.arange(input_zp, 128), 256).astype(np.int8))
    report = validate(path, compile_model(path, REFERENCE), samples=0, input_files=(tmp_path / "valid.npy",))
    assert report.max_abs_diff == 0, report


@pytest.mark.parametrize("kind", ["NEG", "EXP"])
def test_float_only_ops_are_rejected(tmp_path, kind):
    path = single_op_model(tmp_path / "f.tflite", kind, [Spec((4,), "int8", 0.1, 0)], Spec((4,), "int8", 0.1, 0))
    with pytest.raises(TinygenError, match="float32 only"):
        compile_model(path, REFERENCE)


def test_abs_prepare_precision(tmp_path):
    path = single_op_model(tmp_path / "a.tflite", "ABS", [Spec((256,), "int8", 0.011417267844080925, -100)],
                           Spec((256,), "int8", 0.014293373562395573, -124))
    validate_every_int8(path, tmp_path, (256,))


def test_rsqrt_prepare_precision(tmp_path):
    zp = -102
    path = single_op_model(tmp_path / "r.tflite", "RSQRT", [Spec((256,), "int8", 0.39825189113616943, zp)],
                           Spec((256,), "int8", 0.11885526031255722, -42))
    np.save(tmp_path / "valid.npy", np.resize(np.arange(zp, 128), 256).astype(np.int8))
    report = validate(path, compile_model(path, REFERENCE), samples=0, input_files=(tmp_path / "valid.npy",))
    assert report.max_abs_diff == 0, report
