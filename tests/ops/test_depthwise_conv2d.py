from hypothesis import given
from hypothesis import strategies as st
import pytest
from helpers import FEW, assert_bit_exact, conv_configs, kernel_functions, keras_model, layers, quantize


@FEW
@given(conv_configs(), st.sampled_from([1, 2, 3]))
def test_depthwise_conv2d(tmp_path_factory, c, multiplier):
    L = layers()
    model = keras_model(lambda x: L.DepthwiseConv2D(c["kernel"], strides=c["stride"], padding=c["padding"],
                                                    depth_multiplier=multiplier, dilation_rate=c["dilation"],
                                                    activation=c["activation"])(x),
                        [(c["h"], c["w"], c["cin"])])
    assert_bit_exact(quantize(model, tmp_path_factory.mktemp("dw") / "m.tflite", seed=c["seed"]))


@pytest.mark.slow
@FEW
@given(conv_configs(), st.sampled_from([1, 2]))
def test_depthwise_conv2d_16x8(tmp_path_factory, c, multiplier):
    """int16 activations, int64 bias (TFLM has no int32-bias variant of this op)."""
    L = layers()
    model = keras_model(lambda x: L.DepthwiseConv2D(c["kernel"], strides=c["stride"], padding=c["padding"],
                                                    depth_multiplier=multiplier, dilation_rate=c["dilation"],
                                                    activation=c["activation"])(x),
                        [(c["h"], c["w"], c["cin"])])
    path = quantize(model, tmp_path_factory.mktemp("dw16") / "m.tflite", seed=c["seed"], io_dtype="int16")
    assert "tg_depthwise_conv2d_s16" in kernel_functions(path)
    assert_bit_exact(path)
