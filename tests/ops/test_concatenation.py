from hypothesis import given
from hypothesis import strategies as st
from tinygen.compiler import compile_model
from tinygen.errors import TinygenError
from tinygen.options import REFERENCE
from tinygen.validate import validate
import numpy as np
import pytest
from helpers import (SOME, Spec, assert_bit_exact, check_ops, first_op, kernel_functions, keras_model, lambda_layer,
                     layers, quantize, single_op_model, tf, with_quantization)


@st.composite
def concat_configs(draw):
    rank = draw(st.integers(2, 4))
    base = [draw(st.integers(1, 5)) for _ in range(rank - 1)]
    axis = draw(st.sampled_from([a for a in range(-rank, rank) if a not in (0, -rank)]))
    shapes = []
    for _ in range(draw(st.integers(2, 4))):
        shape = list(base)
        shape[axis % rank - 1] = draw(st.integers(1, 4))
        shapes.append(tuple(shape))
    return dict(shapes=shapes, axis=axis, seed=draw(st.integers(0, 99)))


@SOME
@given(concat_configs())
def test_concatenation(tmp_path_factory, c):
    L = layers()
    model = keras_model(lambda *xs: L.Concatenate(axis=c["axis"])(list(xs)), c["shapes"])
    check_ops(model, tmp_path_factory.mktemp("cat") / "m.tflite", "CONCATENATION", seed=c["seed"])


def test_concatenation_with_a_constant_and_repeated_input(tmp_path):
    constant, concat = tf().constant, tf().concat
    table = np.linspace(-1, 1, 2 * 3 * 2, dtype=np.float32).reshape(1, 2, 3, 2)
    model = keras_model(lambda x: lambda_layer(lambda t: concat([t, constant(table), t], axis=1))(x), [(4, 3, 2)])
    check_ops(model, tmp_path / "m.tflite", "CONCATENATION")


def test_concatenation_refuses_requantization(tmp_path):
    """TFLM's int8 CONCATENATION copies bytes and requires equal quantization; so does tinygen."""
    L = layers()
    path = quantize(keras_model(lambda a, b: L.Concatenate()([a, b]), [(3, 2), (3, 4)]), tmp_path / "m.tflite")
    concat = first_op(path, "CONCATENATION")
    patched = with_quantization(path, concat.inputs[1].index, float(concat.inputs[1].quant.s) * 3, 5)
    with pytest.raises(TinygenError, match="TFLM requires them equal"):
        validate(patched, compile_model(patched, REFERENCE))


@pytest.mark.parametrize("axis", [1, -1])
def test_concatenation_int16(tmp_path, axis):
    shapes = [(2, 3, 4), (2, 1, 4)] if axis == 1 else [(2, 3, 4), (2, 3, 2)]
    inputs = [Spec(s, "int16", 2.0 ** -9, 0) for s in shapes]
    out_shape = tuple(sum(s[d] for s in shapes) if d == axis % 3 else shapes[0][d] for d in range(3))
    path = single_op_model(tmp_path / "c16.tflite", "CONCATENATION", inputs, Spec(out_shape, "int16", 2.0 ** -9, 0),
                           axis=axis)
    assert kernel_functions(path) == {"tg_concatenation"}
    assert_bit_exact(path, samples=4)
