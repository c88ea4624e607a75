from hypothesis import given
from hypothesis import strategies as st
import numpy as np
import pytest
from helpers import (FEW, Spec, assert_bit_exact, kernel_functions, keras_model, layers, quantize, random_weights,
                     single_op_model)


@FEW
@given(st.integers(1, 64), st.integers(1, 20), st.sampled_from([None, "relu"]), st.booleans())
def test_fully_connected(tmp_path_factory, depth, units, activation, use_bias):
    L = layers()
    model = keras_model(lambda x: L.Dense(units, activation=activation, use_bias=use_bias)(x), [(depth,)])
    assert_bit_exact(quantize(model, tmp_path_factory.mktemp("fc") / "m.tflite"))


@pytest.mark.slow
@FEW
@given(st.integers(1, 64), st.integers(1, 20), st.sampled_from([None, "relu"]))
def test_fully_connected_16x8(tmp_path_factory, depth, units, activation):
    L = layers()
    model = keras_model(lambda x: L.Dense(units, activation=activation)(x), [(depth,)])
    path = quantize(model, tmp_path_factory.mktemp("fc16") / "m.tflite", io_dtype="int16")
    assert kernel_functions(path) & {"tg_fully_connected_s16", "tg_fully_connected_s16_b32"}
    assert_bit_exact(path)


@pytest.mark.parametrize("bias_dtype, function", [("int64", "tg_fully_connected_s16"),
                                                  ("int32", "tg_fully_connected_s16_b32")])
def test_fully_connected_16x8_accumulators(tmp_path, bias_dtype, function):
    rng = np.random.default_rng(3)
    in_scale, w_scale = 2.0 ** -11, 0.01
    inputs = [Spec((3, 40), "int16", in_scale, 0),
              Spec((7, 40), "int8", w_scale, 0, data=random_weights(rng, (7, 40))),
              Spec((7,), bias_dtype, in_scale * w_scale, 0, data=rng.integers(-90000, 90000, 7).astype(bias_dtype))]
    path = single_op_model(tmp_path / "fc.tflite", "FULLY_CONNECTED", inputs, Spec((3, 7), "int16", 2.0 ** -8, 0))
    assert function in kernel_functions(path)
    assert_bit_exact(path, samples=6)
