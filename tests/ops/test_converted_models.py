from __future__ import annotations
from hypothesis import given
from hypothesis import strategies as st
from tinygen.compiler import compile_model
from tinygen.errors import TinygenError
from tinygen.frontend import load_model
from tinygen.options import REFERENCE
import numpy as np
import pytest
from helpers import FEW, RANGES, assert_bit_exact, check_ops, keras_model, lambda_layer, op_kinds, quantize, tf


@st.composite
def pack_slice_configs(draw):
    shape = tuple(draw(st.integers(1, 5)) for _ in range(draw(st.integers(1, 3))))
    rank = len(shape) + 1
    begin = [0] + [draw(st.integers(0, d - 1)) for d in shape]
    size = [1] + [draw(st.sampled_from([-1, draw(st.integers(1, d - b))])) for d, b in zip(shape, begin[1:])]
    return dict(shape=shape, count=draw(st.integers(2, 4)), axis=draw(st.integers(-rank - 1, rank)),
                begin=begin, size=size, range=draw(RANGES))


def test_keras_reductions_l2_rsqrt(tmp_path):
    keras, tensorflow = tf().keras, tf()

    def build(x):
        l2 = keras.layers.Lambda(lambda t: tensorflow.math.l2_normalize(t, axis=-1))(x)
        return [keras.ops.max(x, axis=[1, 2], keepdims=True), keras.ops.sum(x, axis=-1), l2,
                keras.ops.rsqrt(keras.ops.abs(x) + 0.1)]

    path = quantize(keras_model(build, [(4, 5, 6)]), tmp_path / "red.tflite")
    assert {"REDUCE_MAX", "SUM", "L2_NORMALIZATION", "RSQRT"} <= op_kinds(path)
    assert_bit_exact(path)


def test_keras_activations(tmp_path):
    """Standalone activations on the model input (nothing to fuse them into)."""
    keras = tf().keras

    def build(x):
        return [keras.layers.ReLU()(x), keras.layers.ReLU(max_value=6)(x),
                keras.layers.LeakyReLU(negative_slope=0.2)(x), keras.layers.Activation("hard_swish")(x)]

    path = quantize(keras_model(build, [(4, 4, 8)]), tmp_path / "act.tflite", low=-8, high=8)
    assert {"RELU", "RELU6", "LEAKY_RELU", "HARD_SWISH"} <= {op.kind for op in load_model(path).ops}
    assert_bit_exact(path)


def test_int32_tensors_move_by_bytes(tmp_path):
    """SPLIT_V, UNPACK and SLICE of an int32 model input (an int8 branch keeps the model quantized)."""
    t = tf()

    @t.function(input_signature=[t.TensorSpec((1, 4, 3), t.float32), t.TensorSpec((2, 6, 3), t.int32)])
    def f(x, k):
        return [t.nn.relu(x), t.slice(k, [1, 1, 0], [1, 3, -1])] + t.split(k, [2, 4], axis=1) + t.unstack(k, axis=2)
    converter = t.lite.TFLiteConverter.from_concrete_functions([f.get_concrete_function()], f)
    converter.optimizations = [t.lite.Optimize.DEFAULT]
    rng = np.random.default_rng(0)
    converter.representative_dataset = lambda: ([rng.uniform(-1, 1, (1, 4, 3)).astype(np.float32),
                                                 rng.integers(-9, 9, (2, 6, 3)).astype(np.int32)] for _ in range(8))
    converter.inference_input_type = converter.inference_output_type = t.int8
    path = tmp_path / "m.tflite"
    path.write_bytes(converter.convert())
    assert {"SPLIT_V", "UNPACK", "SLICE"} <= {op.kind for op in load_model(path).ops}
    assert_bit_exact(path)


@FEW
@given(pack_slice_configs())
def test_pack_and_slice(tmp_path_factory, c):
    t = tf()

    def build(*xs):
        return [lambda_layer(lambda v: t.stack(v, axis=c["axis"]))(list(xs)),
                lambda_layer(lambda v: t.slice(v, c["begin"], c["size"]))(xs[0])]
    model = keras_model(build, [c["shape"]] * c["count"])
    low, high = c["range"]
    check_ops(model, tmp_path_factory.mktemp("pack") / "m.tflite", "PACK", low=low, high=high)


def test_tile_is_refused_as_tflm_has_no_kernel(tmp_path):
    """Keras nearest UpSampling2D converts to RESHAPE + TILE here, which TFLM cannot run."""
    path = quantize(keras_model(lambda x: tf().keras.layers.UpSampling2D(2)(x), [(3, 4, 2)]), tmp_path / "m.tflite")
    with pytest.raises(TinygenError, match="unsupported op TILE"):
        compile_model(path, REFERENCE)
