import pytest
from helpers import check_ops, keras_model, lambda_layer, layers, tf


def test_zero_padding_then_pool_and_as_output(tmp_path):
    L = layers()
    model = keras_model(lambda x: [L.MaxPooling2D(2)(L.ZeroPadding2D(((1, 2), (0, 3)))(x)),
                                   L.ZeroPadding2D(((2, 0), (1, 1)))(x)],
                        [(5, 7, 3)])
    # An input range away from zero gives a zero point far from 0, which PAD must write.
    check_ops(model, tmp_path / "m.tflite", "PAD", low=0.5, high=2.0)


@pytest.mark.parametrize("shape, paddings, value", [
    ((6,), [[0, 0], [2, 3]], 0.3),
    ((6, 5), [[0, 0], [2, 1], [0, 3]], 0.0),
    ((3, 4, 2, 5), [[0, 0], [1, 1], [0, 2], [3, 0], [1, 2]], 0.75),
    ((4, 4, 3), [[0, 0], [1, 2], [2, 1], [1, 1]], -0.4),
])
def test_tf_pad_any_rank(tmp_path, shape, paddings, value):
    pad = tf().pad
    model = keras_model(lambda x: lambda_layer(lambda t: pad(t, paddings, constant_values=value))(x), [shape])
    check_ops(model, tmp_path / "m.tflite", "PADV2" if value else "PAD")
