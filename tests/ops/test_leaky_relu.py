from __future__ import annotations
from hypothesis import given
from hypothesis import strategies as st
from helpers import SOME, assert_bit_exact, int16_spec, kernel_functions, single_op_model, spec


@SOME
@given(st.floats(-3, 3, width=32), st.data())
def test_leaky_relu_random(tmp_path, alpha, data):
    """Any alpha, including negative and above one."""
    x, out = spec(data.draw, (4, 16)), spec(data.draw, (4, 16))
    assert_bit_exact(single_op_model(tmp_path / "lr.tflite", "LEAKY_RELU", [x], out, alpha=alpha), samples=4)


@SOME
@given(st.floats(-3, 3, width=32), st.data())
def test_leaky_relu_int16(tmp_path, alpha, data):
    x, out = int16_spec(data.draw, (4, 16)), int16_spec(data.draw, (4, 16))
    path = single_op_model(tmp_path / "lr16.tflite", "LEAKY_RELU", [x], out, alpha=alpha)
    assert kernel_functions(path) == {"tg_leaky_relu_s16"}
    assert_bit_exact(path, samples=4)
