from hypothesis import given
from hypothesis import strategies as st
from helpers import FEW, assert_bit_exact, keras_model, layers, quantize


@FEW
@given(st.integers(1, 64), st.integers(1, 20), st.sampled_from([None, "relu"]), st.booleans())
def test_fully_connected(tmp_path_factory, depth, units, activation, use_bias):
    L = layers()
    model = keras_model(lambda x: L.Dense(units, activation=activation, use_bias=use_bias)(x), [(depth,)])
    assert_bit_exact(quantize(model, tmp_path_factory.mktemp("fc") / "m.tflite"))
