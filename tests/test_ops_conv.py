"""CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED from Keras layers, bit-exact with TFLite Micro."""
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from keras_util import assert_bit_exact, keras_model, quantize, tf
from tinygen.frontend import load_model
from tinygen.passes import run_passes

SETTINGS = settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck))


def layers():
    return tf().keras.layers


@st.composite
def conv_configs(draw):
    kernel = draw(st.sampled_from([1, 2, 3, 5]))
    dilation = draw(st.sampled_from([1, 1, 2])) if kernel > 1 else 1
    stride = 1 if dilation > 1 else draw(st.sampled_from([1, 2, 3]))
    padding = draw(st.sampled_from(["same", "valid"]))
    reach = (kernel - 1) * dilation + 1
    h = draw(st.integers(reach, reach + 9))
    w = draw(st.integers(reach, reach + 9))
    return dict(kernel=kernel, dilation=dilation, stride=stride, padding=padding, h=h, w=w,
                cin=draw(st.integers(1, 6)), cout=draw(st.integers(1, 9)),
                activation=draw(st.sampled_from([None, "relu", "relu6"])), seed=draw(st.integers(0, 99)))


@SETTINGS
@given(conv_configs())
def test_conv2d(tmp_path_factory, c):
    L = layers()
    model = keras_model(lambda x: L.Conv2D(c["cout"], c["kernel"], strides=c["stride"], padding=c["padding"],
                                           dilation_rate=c["dilation"], activation=c["activation"])(x),
                        [(c["h"], c["w"], c["cin"])])
    assert_bit_exact(quantize(model, tmp_path_factory.mktemp("conv") / "m.tflite", seed=c["seed"]))


@SETTINGS
@given(conv_configs(), st.sampled_from([1, 2, 3]))
def test_depthwise_conv2d(tmp_path_factory, c, multiplier):
    L = layers()
    model = keras_model(lambda x: L.DepthwiseConv2D(c["kernel"], strides=c["stride"], padding=c["padding"],
                                                    depth_multiplier=multiplier, dilation_rate=c["dilation"],
                                                    activation=c["activation"])(x),
                        [(c["h"], c["w"], c["cin"])])
    assert_bit_exact(quantize(model, tmp_path_factory.mktemp("dw") / "m.tflite", seed=c["seed"]))


@SETTINGS
@given(st.integers(1, 64), st.integers(1, 20), st.sampled_from([None, "relu"]), st.booleans())
def test_fully_connected(tmp_path_factory, depth, units, activation, use_bias):
    L = layers()
    model = keras_model(lambda x: L.Dense(units, activation=activation, use_bias=use_bias)(x), [(depth,)])
    assert_bit_exact(quantize(model, tmp_path_factory.mktemp("fc") / "m.tflite"))


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
