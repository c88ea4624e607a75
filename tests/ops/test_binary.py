from __future__ import annotations
from hypothesis import given
from hypothesis import strategies as st
from tinygen.compiler import compile_model
from tinygen.errors import TinygenError
from tinygen.frontend import load_model
from tinygen.options import REFERENCE
import numpy as np
import pytest
from helpers import (CLAMPS, EVERY_INT8, SOME, Spec, assert_bit_exact, int16_spec, kernel_functions, keras_model,
                     quantize, single_op_model, spec, tf, validate_every_int8)


@st.composite
def binary_cases(draw):
    """Each operand keeps or drops (to 1) every dim of a common shape, and may lose leading dims."""
    full = draw(st.lists(st.integers(1, 4), min_size=1, max_size=6))

    def operand_shape():
        shape = [n if draw(st.booleans()) else 1 for n in full]
        return tuple(shape[draw(st.integers(0, len(full))):])  # may be a scalar

    a, b = operand_shape(), operand_shape()
    out = np.broadcast_shapes(a, b)
    a_spec, b_spec, o_spec = spec(draw, a), spec(draw, b), spec(draw, out)
    if draw(st.booleans()):
        b_spec.data = np.random.default_rng(draw(st.integers(0, 99))).integers(-128, 128, b).astype(np.int8)
    kind, activation = draw(st.sampled_from(["ADD", "SUB", "MUL"])), draw(st.sampled_from(CLAMPS))
    return kind, activation, a_spec, b_spec, o_spec


# Scales where forming TFLM's Prepare ratios from float32 quotients instead of double ones changes at
# least one of the 65536 input pairs (the tflite-micro package uses double for all three).
PRECISION_CASES = [("SUB", 0.7887726426124573, 0.008912908844649792, 0.859178900718689, (123, -34, 99)),
                   ("ADD", 0.017086990177631378, 0.07756100594997406, 0.045500386506319046, (108, -90, 110)),
                   ("MUL", 0.47244763374328613, 0.005432053003460169, 0.032266125082969666, (-96, -18, -18))]


def test_keras_binary_ops(tmp_path):
    keras = tf().keras

    def build(x, y, z):
        added = keras.layers.ReLU()(keras.layers.Add()([x, x * 0.5 + 0.25]))  # RELU fuses into ADD
        return [keras.layers.Multiply()([x, y]), added, keras.layers.Subtract()([x, z])]

    path = quantize(keras_model(build, [(4, 4, 8), (1, 1, 8), (1, 4, 1)]), tmp_path / "binary.tflite")
    kinds = [op.kind for op in load_model(path).ops]
    assert {"ADD", "SUB", "MUL"} <= set(kinds)
    assert_bit_exact(path)


@SOME
@given(binary_cases())
def test_binary_random(tmp_path, case):
    kind, activation, a, b, out = case
    assert_bit_exact(single_op_model(tmp_path / "b.tflite", kind, [a, b], out, activation=activation), samples=4)


@pytest.mark.parametrize("kind", ["ADD", "SUB", "MUL"])
def test_binary_far_apart_scales(tmp_path, kind):
    """One operand 2^12 times finer than the other; rank-5 broadcast both ways."""
    a = Spec((2, 1, 3, 1, 4), scale=2.0 ** -13, zp=-100)
    b = Spec((1, 5, 1, 2, 4), scale=0.7, zp=90)
    out = Spec((2, 5, 3, 2, 4), scale=0.05 if kind != "MUL" else 2.0 ** -6, zp=7)
    assert_bit_exact(single_op_model(tmp_path / "far.tflite", kind, [a, b], out, activation="RELU6"), samples=4)


@pytest.mark.parametrize("kind, s1, s2, so, zps", PRECISION_CASES)
def test_binary_prepare_precision(tmp_path, kind, s1, s2, so, zps):
    a = Spec((256, 1), "int8", s1, zps[0])
    b = Spec((1, 256), "int8", s2, zps[1], data=EVERY_INT8.reshape(1, 256))
    path = single_op_model(tmp_path / "p.tflite", kind, [a, b], Spec((256, 256), "int8", so, zps[2]))
    validate_every_int8(path, tmp_path, (256, 1))


def test_binary_rejects_uint8_naming_the_types(tmp_path):
    path = single_op_model(tmp_path / "f.tflite", "ADD", [Spec((4,), "uint8", 0.1, 128), Spec((4,), "uint8", 0.1, 128)],
                           Spec((4,), "uint8", 0.1, 128))
    with pytest.raises(TinygenError, match="ADD with uint8 input, uint8 input 1 and uint8 output is not supported"):
        compile_model(path, REFERENCE)


@SOME
@given(st.sampled_from(["ADD", "SUB", "MUL"]), st.sampled_from(CLAMPS), st.data())
def test_binary_int16_broadcast(tmp_path, kind, activation, data):
    """16x8: int16 operands (ADD/SUB rescale with 15 bits of headroom instead of 20), broadcasting."""
    a, b, out = (int16_spec(data.draw, s) for s in ((2, 1, 5), (3, 1), (2, 3, 5)))
    path = single_op_model(tmp_path / "b16.tflite", kind, [a, b], out, activation=activation)
    assert kernel_functions(path) == {"tg_binary_s16"}
    assert_bit_exact(path, samples=4)


def test_binary_int16_mul_refuses_a_zero_point(tmp_path):
    """TFLM's int16 MUL takes symmetric operands only (its ADD and SUB do not care)."""
    a, b, out = Spec((4,), "int16", 0.001, 5), Spec((4,), "int16", 0.001, 0), Spec((4,), "int16", 0.001, 0)
    with pytest.raises(TinygenError, match="int16 input .* zero point 5"):
        compile_model(single_op_model(tmp_path / "m.tflite", "MUL", [a, b], out), REFERENCE)
