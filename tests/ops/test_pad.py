import numpy as np
import pytest
from helpers import Spec, assert_bit_exact, check_ops, kernel_functions, keras_model, lambda_layer, layers, single_op_model, tf


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


@pytest.mark.parametrize("padv2", [False, True])
def test_pad_int16(tmp_path, padv2):
    """int16 elements; PADV2 with its own int16 constant (quantized like the output)."""
    x, out = Spec((1, 3, 4, 2), "int16", 2.0 ** -12, 0), Spec((1, 6, 5, 2), "int16", 2.0 ** -12, 0)
    inputs = [x, np.array([[0, 0], [1, 2], [0, 1], [0, 0]], np.int32)]
    if padv2:
        inputs.append(Spec((1,), "int16", 2.0 ** -12, 0, data=np.array([-1234], np.int16)))
    path = single_op_model(tmp_path / "p.tflite", "PADV2" if padv2 else "PAD", inputs, out)
    assert kernel_functions(path) == {"tg_pad_s16"}
    assert_bit_exact(path, samples=4)
