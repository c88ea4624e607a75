from __future__ import annotations
from hypothesis import given
from hypothesis import strategies as st
import numpy as np
import pytest
from helpers import FEW, Spec, assert_bit_exact, keras_model, op_kinds, quantize, single_op_model, tf, validate_every_int8, wide_spec


@st.composite
def broadcast_cases(draw):
    """Each operand keeps or drops (to 1) every dim of a common shape of rank up to 6, and may lose
    leading dims; the second is sometimes a constant."""
    full = draw(st.lists(st.integers(1, 3), min_size=1, max_size=6))

    def operand_shape():
        shape = [n if draw(st.booleans()) else 1 for n in full]
        return tuple(shape[draw(st.integers(0, len(full))):])

    a, b = operand_shape(), operand_shape()
    a_spec, b_spec, out = wide_spec(draw, a), wide_spec(draw, b), wide_spec(draw, np.broadcast_shapes(a, b))
    if draw(st.booleans()):
        b_spec.data = np.random.default_rng(draw(st.integers(0, 99))).integers(-128, 128, b).astype(np.int8)
    return draw(st.sampled_from(["MAXIMUM", "MINIMUM", "PRELU", "SQUARED_DIFFERENCE"])), a_spec, b_spec, out


def test_keras_broadcast_and_unary_ops(tmp_path):
    keras, tensorflow = tf().keras, tf()

    def build(x, y):
        squared = keras.layers.Lambda(lambda t: tensorflow.math.squared_difference(t[0], t[1]))([x, y])
        return [keras.layers.Maximum()([x, y]), keras.layers.Minimum()([x, y]),
                keras.layers.PReLU(shared_axes=[1, 2])(x), keras.ops.abs(x), squared]

    path = quantize(keras_model(build, [(4, 4, 8), (1, 1, 8)]), tmp_path / "ew.tflite")
    assert {"MAXIMUM", "MINIMUM", "PRELU", "ABS", "SQUARED_DIFFERENCE"} <= op_kinds(path)
    assert_bit_exact(path)


@FEW
@given(broadcast_cases())
def test_broadcast_ops_random(tmp_path, case):
    kind, a, b, out = case
    assert_bit_exact(single_op_model(tmp_path / "b.tflite", kind, [a, b], out), samples=4)


@pytest.mark.parametrize("kind", ["PRELU", "SQUARED_DIFFERENCE"])
def test_broadcast_ops_far_apart_scales(tmp_path, kind):
    """Every int8 pair, one operand 2^12 times finer than the other."""
    a = Spec((256, 1), "int8", 0.7, -100)
    b = Spec((1, 256), "int8", 2.0 ** -13 * 0.7, 90, data=np.arange(-128, 128, dtype=np.int8).reshape(1, 256))
    path = single_op_model(tmp_path / "far.tflite", kind, [a, b], Spec((256, 256), "int8", 0.05, 7))
    validate_every_int8(path, tmp_path, (256, 1))


def test_broadcast_walk_merges_contiguous_dims():
    from tinygen.ops.broadcast import broadcast_walk

    assert broadcast_walk((1, 4, 4, 8), (1, 4, 4, 8), (1, 1, 1, 8)) == ([16, 8], [8, 1], [0, 1])
    assert broadcast_walk((2, 3, 4), (2, 1, 4), (1, 3, 1)) == ([2, 3, 4], [4, 0, 1], [0, 1, 0])
    assert broadcast_walk((3, 5), (3, 5), ()) == ([15], [1], [0])
    assert broadcast_walk((1, 1), (1, 1), (1,)) == ([1], [0], [0])
