from __future__ import annotations
from hypothesis import given
from hypothesis import strategies as st
from tinygen.compiler import compile_model
from tinygen.errors import TinygenError
from tinygen.options import REFERENCE
import pytest
from helpers import SOME, Spec, assert_bit_exact, single_op_model, zero_points


@SOME
@given(st.floats(-12, 4), st.floats(-6, 6), zero_points, zero_points)
def test_hard_swish_random(tmp_path, input_exp, output_exp_delta, input_zp, output_zp):
    """Input scales on both sides of 3/256, where the reluish multiplier's exponent changes sign."""
    input_scale = 2.0 ** input_exp
    x = Spec((256,), "int8", input_scale, input_zp)
    out = Spec((256,), "int8", input_scale * 2.0 ** output_exp_delta, output_zp)
    assert_bit_exact(single_op_model(tmp_path / "hs.tflite", "HARD_SWISH", [x], out), samples=3)


@pytest.mark.parametrize("input_scale, output_scale", [(0.02, 0.02 / 127), (0.02, 0.02 * 2000), (1e-4, 0.5)])
def test_hard_swish_extreme_scales(tmp_path, input_scale, output_scale):
    """Nearly the finest output scale TFLM allows, and output shifts of 16 bits and more."""
    x, out = Spec((256,), "int8", input_scale, -3), Spec((256,), "int8", output_scale, 11)
    assert_bit_exact(single_op_model(tmp_path / "hx.tflite", "HARD_SWISH", [x], out), samples=3)


def test_hard_swish_rejects_what_tflm_rejects(tmp_path):
    x, out = Spec((8,), "int8", 0.02, 0), Spec((8,), "int8", 0.02 / 128, 0)
    with pytest.raises(TinygenError, match="HARD_SWISH"):
        compile_model(single_op_model(tmp_path / "hr.tflite", "HARD_SWISH", [x], out), REFERENCE)
