from __future__ import annotations
from hypothesis import given
from hypothesis import strategies as st
import numpy as np
from helpers import (FEW, Spec, assert_bit_exact, int16_spec, kernel_functions, keras_model, op_kinds, quantize,
                     random_weights, single_op_model, tf, wide_scales, wide_spec)


@st.composite
def transpose_conv_cases(draw, activations="int8"):
    """Output sizes include TensorFlow's output_padding variants (SAME may also give one less per
    extra stride step, VALID up to stride - 1 more). activations "int16": 16x8, with an int64 or
    an int16 bias (which TFLM widens to int64)."""
    kh, kw, sh, sw = (draw(st.integers(1, 4)) for _ in range(4))
    padding = draw(st.sampled_from([0, 1]))  # SAME, VALID
    batch, in_h, in_w = draw(st.integers(1, 2)), draw(st.integers(1, 5)), draw(st.integers(1, 5))
    in_c, out_c = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    extra_h, extra_w = draw(st.integers(0, sh - 1)), draw(st.integers(0, sw - 1))
    if padding == 0:
        out_h, out_w = in_h * sh - extra_h, in_w * sw - extra_w
    else:
        out_h, out_w = (in_h - 1) * sh + kh + extra_h, (in_w - 1) * sw + kw + extra_w
    rng = np.random.default_rng(draw(st.integers(0, 999)))
    per_channel = draw(st.booleans())
    w_scale = [float(np.float32(s)) for s in rng.uniform(0.002, 0.05, out_c)] if per_channel else draw(wide_scales) / 64
    activation_spec = wide_spec if activations == "int8" else int16_spec
    x, out = activation_spec(draw, (batch, in_h, in_w, in_c)), activation_spec(draw, (batch, out_h, out_w, out_c))
    weights = Spec((out_c, kh, kw, in_c), "int8", w_scale, 0, data=random_weights(rng, (out_c, kh, kw, in_c)))
    inputs = [np.array([batch, out_h, out_w, out_c], np.int32), weights, x]
    if draw(st.booleans()):
        bias_dtype = "int32" if activations == "int8" else draw(st.sampled_from(["int64", "int16"]))
        inputs.append(Spec((out_c,), bias_dtype, data=rng.integers(-5000, 5000, out_c).astype(bias_dtype)))
    activation = draw(st.sampled_from([0, 1, 3]))  # NONE, RELU, RELU6
    options = {"padding": padding, "strideH": sh, "strideW": sw, "fusedActivationFunction": activation}
    return inputs, out, options


def test_keras_transpose_conv(tmp_path):
    keras = tf().keras

    def build(x):
        return [keras.layers.Conv2DTranspose(5, 3, strides=2, padding="same", activation="relu")(x),
                keras.layers.Conv2DTranspose(4, (3, 2), strides=(2, 1), padding="valid", use_bias=False)(x)]

    path = quantize(keras_model(build, [(5, 6, 3)]), tmp_path / "tconv.tflite")
    assert "TRANSPOSE_CONV" in op_kinds(path)
    assert_bit_exact(path)


@FEW
@given(transpose_conv_cases())
def test_transpose_conv_random(tmp_path, case):
    inputs, out, options = case
    assert_bit_exact(single_op_model(tmp_path / "t.tflite", "TRANSPOSE_CONV", inputs, out, **options), samples=3)


@FEW
@given(transpose_conv_cases(activations="int16"))
def test_transpose_conv_16x8_random(tmp_path, case):
    inputs, out, options = case
    path = single_op_model(tmp_path / "t16.tflite", "TRANSPOSE_CONV", inputs, out, **options)
    assert kernel_functions(path) == {"tg_transpose_conv_s16"}
    assert_bit_exact(path, samples=3)
