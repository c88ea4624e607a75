"""SOFTMAX, LOGISTIC and TANH (int8) from Keras layers, bit-exact with TFLite Micro.

The validator feeds uniformly random int8 inputs, so an activation applied straight to a model
input of 256 elements sees (nearly) every input code; the representative range given to the
converter sets the input scale and zero point, from saturating-everywhere to very fine.
"""
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from keras_util import assert_bit_exact, keras_model, quantize, tf
from tinygen.compiler import compile_model
from tinygen.errors import TinygenError

SETTINGS = settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))

# (low, high) of the representative data: asymmetric ranges move the zero point.
input_ranges = st.tuples(st.floats(-2.5, 3.0), st.floats(0.05, 1.0), st.floats(0.05, 1.0)).map(
    lambda t: (-t[1] * 10 ** t[0], t[2] * 10 ** t[0]))


def layers():
    return tf().keras.layers


def with_beta(path: Path, beta: float) -> Path:
    """The same model with every SOFTMAX's beta replaced (Keras always exports beta = 1)."""
    from tensorflow.lite.tools import flatbuffer_utils

    model = flatbuffer_utils.read_model(str(path))
    for subgraph in model.subgraphs:
        for op in subgraph.operators:
            if hasattr(op.builtinOptions, "beta"):
                op.builtinOptions.beta = beta
    out = path.with_name(f"{path.stem}_beta{beta:g}.tflite")
    flatbuffer_utils.write_model(model, str(out))
    return out


@SETTINGS
@given(st.sampled_from([(), (3,), (2, 3)]), st.integers(1, 40), input_ranges, st.booleans())
def test_softmax(tmp_path_factory, outer, depth, input_range, after_dense):
    """Over the last axis of ranks 1 to 3 (plus the batch), on an input or after a Dense."""
    L = layers()
    shape = outer + (depth if not after_dense else 5,)
    model = keras_model(lambda x: L.Softmax()(L.Dense(depth)(x) if after_dense else x), [shape])
    low, high = input_range
    assert_bit_exact(quantize(model, tmp_path_factory.mktemp("softmax") / "m.tflite", low=low, high=high))


@pytest.fixture(scope="module")
def softmax_model(tmp_path_factory):
    model = keras_model(lambda x: layers().Activation("softmax")(x), [(8, 16)])
    return quantize(model, tmp_path_factory.mktemp("beta") / "m.tflite", low=-4, high=4)


@pytest.mark.parametrize("beta", [1e-6, 0.3, 2.5, 1e6])
def test_softmax_beta(softmax_model, beta):
    """From a multiplier just above TFLM's minimum to one capped at 2^31 - 1 (only maxima survive)."""
    assert_bit_exact(with_beta(softmax_model, beta))


def test_softmax_beta_too_small_is_rejected(softmax_model):
    with pytest.raises(TinygenError, match="too small"):
        compile_model(with_beta(softmax_model, 1e-8))


@SETTINGS
@given(input_ranges, st.booleans())
def test_logistic(tmp_path_factory, input_range, after_dense):
    L = layers()
    model = keras_model(lambda x: L.Activation("sigmoid")(L.Dense(256)(x) if after_dense else x),
                        [(8,) if after_dense else (256,)])
    low, high = input_range
    assert_bit_exact(quantize(model, tmp_path_factory.mktemp("logistic") / "m.tflite", low=low, high=high))


@SETTINGS
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
