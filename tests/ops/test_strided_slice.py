import pytest
from helpers import check_ops, keras_model, lambda_layer, tf


def test_slice_of_every_rank_up_to_five(tmp_path):
    t = tf()
    model = keras_model(lambda x: [lambda_layer(lambda v: t.slice(v, [0, 1, 0, 2, 1], [1, 2, -1, 1, 3]))(x),
                                   lambda_layer(lambda v: t.slice(t.reshape(v, (6, 20)), [2, 5], [3, 14]))(x)],
                        [(3, 2, 4, 5)])
    check_ops(model, tmp_path / "m.tflite", "SLICE")


@pytest.mark.slow
def test_strided_slice_and_reshape_16x8(tmp_path):
    """int16 elements move as they are: STRIDED_SLICE copies 2-byte elements, RESHAPE aliases."""
    t = tf()
    model = keras_model(lambda x: lambda_layer(lambda v: t.reshape(v[:, 1:, ::2, :], (1, -1)))(x), [(5, 6, 3)])
    check_ops(model, tmp_path / "m.tflite", "STRIDED_SLICE", "RESHAPE", io_dtype="int16")
