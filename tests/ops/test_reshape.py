from tinygen.frontend import load_model
from tinygen.passes import run_passes
from helpers import assert_bit_exact, quantize, tf


def test_keras_flatten_shape_chain_is_folded(tmp_path):
    """Without a fixed batch, Keras computes the flatten shape at run time: SHAPE, STRIDED_SLICE, PACK."""
    keras = tf().keras
    L = keras.layers
    inputs = keras.Input((6, 6, 2))
    model = keras.Model(inputs, L.Dense(3)(L.Flatten()(L.Conv2D(4, 3)(inputs))))
    path = quantize(model, tmp_path / "m.tflite", input_shapes=[(1, 6, 6, 2)])
    assert {"SHAPE", "PACK", "STRIDED_SLICE"} <= {op.kind for op in load_model(path).ops}
    kinds = [op.kind for op in run_passes(load_model(path)).ops]
    assert not {"SHAPE", "PACK", "STRIDED_SLICE"} & set(kinds), kinds
    assert_bit_exact(path)
