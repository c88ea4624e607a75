from hypothesis import given
from tinygen.frontend import load_model
from tinygen.passes import run_passes
from helpers import FEW, assert_bit_exact, conv_configs, keras_model, layers, quantize


@FEW
@given(conv_configs())
def test_conv2d(tmp_path_factory, c):
    L = layers()
    model = keras_model(lambda x: L.Conv2D(c["cout"], c["kernel"], strides=c["stride"], padding=c["padding"],
                                           dilation_rate=c["dilation"], activation=c["activation"])(x),
                        [(c["h"], c["w"], c["cin"])])
    assert_bit_exact(quantize(model, tmp_path_factory.mktemp("conv") / "m.tflite", seed=c["seed"]))


def test_grouped_conv(tmp_path):
    L = layers()
    model = keras_model(lambda x: L.Conv2D(8, 3, groups=2, padding="same")(x), [(7, 7, 4)])
    assert_bit_exact(quantize(model, tmp_path / "m.tflite"))


def test_explicit_padding_is_folded_into_the_conv(tmp_path):
    L = layers()
    model = keras_model(lambda x: L.Conv2D(4, 3, strides=2)(L.ZeroPadding2D(((1, 2), (0, 1)))(x)), [(9, 8, 3)])
    path = quantize(model, tmp_path / "m.tflite")
    assert "PAD" in [op.kind for op in load_model(path).ops]
    assert "PAD" not in [op.kind for op in run_passes(load_model(path)).ops]
    assert_bit_exact(path)
