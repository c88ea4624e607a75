from hypothesis import given
from hypothesis import strategies as st
from helpers import FEW, assert_bit_exact, conv_configs, keras_model, layers, quantize


@FEW
@given(conv_configs(), st.sampled_from([1, 2, 3]))
def test_depthwise_conv2d(tmp_path_factory, c, multiplier):
    L = layers()
    model = keras_model(lambda x: L.DepthwiseConv2D(c["kernel"], strides=c["stride"], padding=c["padding"],
                                                    depth_multiplier=multiplier, dilation_rate=c["dilation"],
                                                    activation=c["activation"])(x),
                        [(c["h"], c["w"], c["cin"])])
    assert_bit_exact(quantize(model, tmp_path_factory.mktemp("dw") / "m.tflite", seed=c["seed"]))
