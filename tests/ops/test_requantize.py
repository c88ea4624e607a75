from __future__ import annotations
from hypothesis import given
from hypothesis import strategies as st
from tinygen.compiler import compile_model
from tinygen.errors import TinygenError
from tinygen.options import REFERENCE
import pytest
from helpers import SOME, Spec, assert_bit_exact, single_op_model, spec, validate_every_int8


@SOME
@given(st.sampled_from(["RELU", "RELU6"]), st.data())
def test_relu_requantizing_random(tmp_path, kind, data):
    """Different input and output quantization: RELU rescales, TFLM's RELU6 ignores the output's."""
    x, out = spec(data.draw, (5, 9)), spec(data.draw, (5, 9))
    assert_bit_exact(single_op_model(tmp_path / "r.tflite", kind, [x], out), samples=4)


@pytest.mark.parametrize("kind, si, so, zps, options", [
    ("RELU", 0.009660130366683006, 0.051338642835617065, (-126, -39), {}),
    ("LEAKY_RELU", 0.21568220853805542, 0.11917071789503098, (-88, -8), {"alpha": 1.7133688926696777})])
def test_activation_prepare_precision(tmp_path, kind, si, so, zps, options):
    """As test_binary_prepare_precision: ratios in double, not float32, change some output here."""
    path = single_op_model(tmp_path / "ap.tflite", kind, [Spec((256,), "int8", si, zps[0])],
                           Spec((256,), "int8", so, zps[1]), **options)
    validate_every_int8(path, tmp_path, (256,))


def test_standalone_relu_n1_to_1_is_rejected(tmp_path):
    path = single_op_model(tmp_path / "r1.tflite", "RELU_N1_TO_1", [Spec((4,), "int8", 0.1, 0)],
                           Spec((4,), "int8", 0.01, 0))
    with pytest.raises(TinygenError, match="RELU_N1_TO_1"):
        compile_model(path, REFERENCE)
