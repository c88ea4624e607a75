from hypothesis import given
from hypothesis import strategies as st
from pathlib import Path
from tinygen.compiler import compile_model
from tinygen.errors import TinygenError
from tinygen.options import REFERENCE
import pytest
from helpers import SOME, Spec, assert_bit_exact, input_ranges, keras_model, layers, quantize, single_op_model


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


@pytest.fixture(scope="module")
def softmax_model(tmp_path_factory):
    model = keras_model(lambda x: layers().Activation("softmax")(x), [(8, 16)])
    return quantize(model, tmp_path_factory.mktemp("beta") / "m.tflite", low=-4, high=4)


@SOME
@given(st.sampled_from([(), (3,), (2, 3)]), st.integers(1, 40), input_ranges, st.booleans())
def test_softmax(tmp_path_factory, outer, depth, input_range, after_dense):
    """Over the last axis of ranks 1 to 3 (plus the batch), on an input or after a Dense."""
    L = layers()
    shape = outer + (depth if not after_dense else 5,)
    model = keras_model(lambda x: L.Softmax()(L.Dense(depth)(x) if after_dense else x), [shape])
    low, high = input_range
    assert_bit_exact(quantize(model, tmp_path_factory.mktemp("softmax") / "m.tflite", low=low, high=high))


@pytest.mark.parametrize("beta", [1e-6, 0.3, 2.5, 1e6])
def test_softmax_beta(softmax_model, beta):
    """From a multiplier just above TFLM's minimum to one capped at 2^31 - 1 (only maxima survive)."""
    assert_bit_exact(with_beta(softmax_model, beta))


def test_softmax_beta_too_small_is_rejected(softmax_model):
    with pytest.raises(TinygenError, match="too small"):
        compile_model(with_beta(softmax_model, 1e-8), REFERENCE)


@pytest.mark.parametrize("input_scale, depth", [(0.02, 2), (0.1, 10), (0.5, 33)])
def test_softmax_int16_output(tmp_path, input_scale, depth):
    """int8 in, int16 out (scale 1/65536, zero point -32768), as the keyword models end."""
    path = single_op_model(tmp_path / "sm16.tflite", "SOFTMAX", [Spec((3, depth), "int8", input_scale, 7)],
                           Spec((3, depth), "int16", 1.0 / 65536, -32768), beta=1.0)
    assert_bit_exact(path, samples=6)
