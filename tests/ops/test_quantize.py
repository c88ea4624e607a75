from __future__ import annotations
from hypothesis import given
from hypothesis import strategies as st
from tinygen.compiler import compile_model
from tinygen.errors import TinygenError
from tinygen.frontend import load_model
from tinygen.options import REFERENCE
from tinygen.validate import validate
import numpy as np
import pytest
from helpers import SOME, Spec, assert_bit_exact, keras_model, quantize, scales, single_op_model, spec, tf, zero_points


@pytest.mark.parametrize("io_dtype", ["float32", "uint8"])
def test_keras_boundary_conversions(tmp_path, io_dtype):
    keras = tf().keras
    model = keras_model(lambda x: keras.layers.LeakyReLU(negative_slope=0.1)(x * 2.0 - 0.3), [(6, 6, 3)])
    path = quantize(model, tmp_path / "io.tflite", io_dtype=io_dtype)
    kinds = [op.kind for op in load_model(path).ops]
    assert kinds[0] == "QUANTIZE" and kinds[-1] == ("DEQUANTIZE" if io_dtype == "float32" else "QUANTIZE")
    assert_bit_exact(path)


@SOME
@given(st.sampled_from([("int8", "int8"), ("int8", "uint8"), ("uint8", "int8")]), st.data())
def test_requantize_random(tmp_path, types, data):
    x, out = spec(data.draw, (3, 7), types[0]), spec(data.draw, (3, 7), types[1])
    assert_bit_exact(single_op_model(tmp_path / "rq.tflite", "QUANTIZE", [x], out), samples=4)


@pytest.mark.parametrize("types, zps", [(("int8", "uint8"), (-128, 0)), (("uint8", "int8"), (128, 0)),
                                        (("int8", "uint8"), (0, 128)), (("int8", "int8"), (5, -5))])
def test_requantize_same_scale(tmp_path, types, zps):
    """Equal scales: TFLM's bit-flip shortcut for int8 <-> uint8 must agree with the general path."""
    x, out = Spec((64,), types[0], 0.02, zps[0]), Spec((64,), types[1], 0.02, zps[1])
    assert_bit_exact(single_op_model(tmp_path / "same.tflite", "QUANTIZE", [x], out), samples=4)


@SOME
@given(scales, zero_points, st.integers(0, 2 ** 16))
def test_quantize_float_random(tmp_path, scale, zp, seed):
    path = single_op_model(tmp_path / "q.tflite", "QUANTIZE", [Spec((100,), "float32")],
                           Spec((100,), "int8", scale, zp))
    # Values on and next to rounding ties, and far outside the int8 range (they saturate).
    rng = np.random.default_rng(seed)
    k = rng.integers(-300, 300, 100)
    ties = np.float32(scale) * (k + 0.5).astype(np.float32)
    ties[::3] = np.nextafter(ties[::3], np.float32(np.inf))
    np.save(tmp_path / "ties.npy", ties.astype(np.float32))
    report = validate(path, compile_model(path, REFERENCE), samples=3, input_files=(tmp_path / "ties.npy",))
    assert report.max_abs_diff == 0, report


def test_quantize_float_to_uint8_is_rejected(tmp_path):
    path = single_op_model(tmp_path / "qu.tflite", "QUANTIZE", [Spec((4,), "float32")], Spec((4,), "uint8", 0.1, 128))
    with pytest.raises(TinygenError, match="float32 -> uint8"):
        compile_model(path, REFERENCE)


@SOME
@given(st.sampled_from(["int8", "int32"]), scales, st.floats(-4, 4), zero_points)
def test_requantize_from_int16(tmp_path, out_dtype, in_scale, log_ratio, out_zp):
    """int16 model inputs (the keyword models with SVDF) to int8 for the next op, or int32 out."""
    out_scale = float(np.float32(in_scale * 2.0 ** log_ratio))
    x = Spec((2, 40), "int16", in_scale, 0)
    out = Spec((2, 40), out_dtype, out_scale, out_zp if out_dtype == "int8" else 0)
    assert_bit_exact(single_op_model(tmp_path / "rq16.tflite", "QUANTIZE", [x], out), samples=4)
