from hypothesis import given
from hypothesis import strategies as st
import pytest
from helpers import SOME, assert_bit_exact, input_ranges, keras_model, layers, quantize


@SOME
@given(input_ranges, st.booleans())
def test_logistic(tmp_path_factory, input_range, after_dense):
    L = layers()
    model = keras_model(lambda x: L.Activation("sigmoid")(L.Dense(256)(x) if after_dense else x),
                        [(8,) if after_dense else (256,)])
    low, high = input_range
    assert_bit_exact(quantize(model, tmp_path_factory.mktemp("logistic") / "m.tflite", low=low, high=high))


@SOME
@given(input_ranges, st.booleans())
def test_tanh(tmp_path_factory, input_range, after_dense):
    L = layers()
    model = keras_model(lambda x: L.Activation("tanh")(L.Dense(256)(x) if after_dense else x),
                        [(8,) if after_dense else (256,)])
    low, high = input_range
    assert_bit_exact(quantize(model, tmp_path_factory.mktemp("tanh") / "m.tflite", low=low, high=high))


@pytest.mark.parametrize("activation", ["sigmoid", "tanh"])
@pytest.mark.parametrize("input_range", [(-0.004, 0.003), (-3000.0, 2000.0)])
def test_extreme_input_scales(tmp_path, activation, input_range):
    """A tiny scale (no input leaves the linear region) and a huge one (a zero radius: all saturate)."""
    model = keras_model(lambda x: layers().Activation(activation)(x), [(2, 128)])
    low, high = input_range
    assert_bit_exact(quantize(model, tmp_path / "m.tflite", low=low, high=high))
