from __future__ import annotations
from hypothesis import given
from hypothesis import strategies as st
from tinygen.ops.dequantize import DEQUANTIZE_FROM
from helpers import SOME, Spec, assert_bit_exact, single_op_model, spec


@SOME
@given(st.sampled_from(DEQUANTIZE_FROM), st.data())
def test_dequantize_random(tmp_path, dtype, data):
    path = single_op_model(tmp_path / "dq.tflite", "DEQUANTIZE", [spec(data.draw, (2, 50), dtype)],
                           Spec((2, 50), "float32"))
    assert_bit_exact(path, samples=4)
