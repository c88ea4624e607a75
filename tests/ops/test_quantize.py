from __future__ import annotations
from hypothesis import given
from hypothesis import strategies as st
from tinygen.compiler import compile_model
from tinygen.errors import TinygenError
from tinygen.frontend import load_model
from tinygen.ops.quantize import FLOAT_TO, REQUANTIZE_PAIRS
from tinygen.options import REFERENCE
from tinygen.quant import round_half_away
from tinygen.validate import validate
import numpy as np
import sys
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
@given(st.sampled_from(sorted(REQUANTIZE_PAIRS)), st.data())
def test_requantize_random(tmp_path, types, data):
    """Every integer pair TFLM's QUANTIZE takes, int16 and int32 ones (16x8 models) among them."""
    x, out = spec(data.draw, (3, 7), types[0]), spec(data.draw, (3, 7), types[1])
    assert_bit_exact(single_op_model(tmp_path / "rq.tflite", "QUANTIZE", [x], out), samples=4)


@pytest.mark.parametrize("types, zps", [(("int8", "uint8"), (-128, 0)), (("uint8", "int8"), (128, 0)),
                                        (("int8", "uint8"), (0, 128)), (("int8", "int8"), (5, -5))])
def test_requantize_same_scale(tmp_path, types, zps):
    """Equal scales: TFLM's bit-flip shortcut for int8 <-> uint8 must agree with the general path."""
    x, out = Spec((64,), types[0], 0.02, zps[0]), Spec((64,), types[1], 0.02, zps[1])
    assert_bit_exact(single_op_model(tmp_path / "same.tflite", "QUANTIZE", [x], out), samples=4)


@SOME
@given(st.sampled_from(FLOAT_TO), scales, zero_points, st.integers(0, 2 ** 16))
def test_quantize_float_random(tmp_path, dtype, scale, zp, seed):
    path = single_op_model(tmp_path / "q.tflite", "QUANTIZE", [Spec((100,), "float32")],
                           Spec((100,), dtype, scale, zp))
    # Values on and next to rounding ties, and far outside the output range (they saturate).
    rng = np.random.default_rng(seed)
    reach = 300 if dtype == "int8" else 40000
    k = rng.integers(-reach, reach, 100)
    ties = np.float32(scale) * (k + 0.5).astype(np.float32)
    ties[::3] = np.nextafter(ties[::3], np.float32(np.inf))
    np.save(tmp_path / "ties.npy", ties.astype(np.float32))
    report = validate(path, compile_model(path, REFERENCE), samples=3, input_files=(tmp_path / "ties.npy",))
    assert report.max_abs_diff == 0, report


def test_quantize_float_to_uint8_is_rejected(tmp_path):
    path = single_op_model(tmp_path / "qu.tflite", "QUANTIZE", [Spec((4,), "float32")], Spec((4,), "uint8", 0.1, 128))
    with pytest.raises(TinygenError, match="QUANTIZE of float32 to uint8 is not supported"):
        compile_model(path, REFERENCE)


FLOAT_HELPERS_MAIN = r"""
#include <stdio.h>
#include "model.h"
/* Reads the input's real values, quantizes them into the input, runs, and writes the input's
 * quantized bytes, the output's raw bytes and the output's real values. */
int main(void) {
  static float values[TINYGEN_INPUT0_BYTES];
  const int n = TINYGEN_INPUT0_BYTES / 2;
  if (fread(values, sizeof(float), (size_t)n, stdin) != (size_t)n) return 1;
  tinygen_quantize_input(0, values);
  fwrite(tinygen_input(0), 1, TINYGEN_INPUT0_BYTES, stdout);
  tinygen_invoke();
  fwrite(tinygen_output(0), 1, TINYGEN_OUTPUT0_BYTES, stdout);
  tinygen_dequantize_output(0, values);
  fwrite(values, sizeof(float), TINYGEN_OUTPUT0_BYTES / 2, stdout);
  return 0;
}
"""


def test_float_helpers_of_an_int16_model(tmp_path):
    """model.h's tinygen_quantize_input / tinygen_dequantize_output on int16 tensors: TFLM's
    QUANTIZE (round half away, saturated to int16) and DEQUANTIZE arithmetic."""
    import subprocess

    in_scale, out_scale, out_zp = 0.001, 0.003, -7
    path = single_op_model(tmp_path / "r16.tflite", "QUANTIZE", [Spec((64,), "int16", in_scale, 0)],
                           Spec((64,), "int16", out_scale, out_zp))
    out = tmp_path / "gen"
    assert subprocess.run([sys.executable, "-m", "tinygen", "generate", str(path), "-o", str(out)],
                          capture_output=True).returncode == 0
    (out / "main.c").write_text(FLOAT_HELPERS_MAIN)
    assert subprocess.run(["make", "-C", str(out)], capture_output=True).returncode == 0
    values = np.concatenate([np.float32(in_scale) * (np.arange(-20, 20) + 0.5), [40.0, -40.0, np.nan],
                             np.linspace(-1, 1, 21)]).astype(np.float32)
    raw = subprocess.run([str(out / "model")], input=values.tobytes(), capture_output=True).stdout
    quantized = np.frombuffer(raw[:128], np.int16)
    expected = [0 if np.isnan(v) else int(np.clip(round_half_away(float(v / np.float32(in_scale))), -32768, 32767))
                for v in values]
    assert quantized.tolist() == expected
    result, real = np.frombuffer(raw[128:256], np.int16), np.frombuffer(raw[256:], np.float32)
    assert real.tolist() == (np.float64(np.float32(out_scale)) * (result.astype(np.int64) - out_zp)).astype(
        np.float32).tolist()


@SOME
@given(st.sampled_from(["int8", "int32"]), scales, st.floats(-4, 4), zero_points)
def test_requantize_from_int16(tmp_path, out_dtype, in_scale, log_ratio, out_zp):
    """int16 model inputs (the keyword models with SVDF) to int8 for the next op, or int32 out."""
    out_scale = float(np.float32(in_scale * 2.0 ** log_ratio))
    x = Spec((2, 40), "int16", in_scale, 0)
    out = Spec((2, 40), out_dtype, out_scale, out_zp if out_dtype == "int8" else 0)
    assert_bit_exact(single_op_model(tmp_path / "rq16.tflite", "QUANTIZE", [x], out), samples=4)
