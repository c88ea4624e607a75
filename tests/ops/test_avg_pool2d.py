from hypothesis import given
from hypothesis import strategies as st
from tinygen.compiler import compile_model
from tinygen.errors import TinygenError
from tinygen.options import REFERENCE
from tinygen.validate import validate
import pytest
from helpers import FEW, SOME, assert_bit_exact, check_ops, first_op, kernel_functions, keras_model, layers, quantize, with_quantization


@st.composite
def pool_configs(draw):
    pool = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    return dict(pool=pool, strides=(draw(st.integers(1, 3)), draw(st.integers(1, 3))),
                padding=draw(st.sampled_from(["same", "valid"])),
                h=draw(st.integers(pool[0], pool[0] + 7)), w=draw(st.integers(pool[1], pool[1] + 7)),
                c=draw(st.integers(1, 5)), seed=draw(st.integers(0, 99)))


@SOME
@given(pool_configs())
def test_pools(tmp_path_factory, c):
    L = layers()
    args = dict(pool_size=c["pool"], strides=c["strides"], padding=c["padding"])
    model = keras_model(lambda x: [L.AveragePooling2D(**args)(x), L.MaxPooling2D(**args)(x)],
                        [(c["h"], c["w"], c["c"])])
    check_ops(model, tmp_path_factory.mktemp("pool") / "m.tflite", "AVERAGE_POOL_2D", "MAX_POOL_2D", seed=c["seed"])


@pytest.mark.slow
@FEW
@given(pool_configs())
def test_pools_16x8(tmp_path_factory, c):
    L = layers()
    args = dict(pool_size=c["pool"], strides=c["strides"], padding=c["padding"])
    model = keras_model(lambda x: [L.AveragePooling2D(**args)(x), L.MaxPooling2D(**args)(x)],
                        [(c["h"], c["w"], c["c"])])
    path = quantize(model, tmp_path_factory.mktemp("pool16") / "m.tflite", seed=c["seed"], io_dtype="int16")
    assert {"tg_avg_pool2d_s16", "tg_max_pool2d_s16"} <= kernel_functions(path)
    assert_bit_exact(path)


def test_pools_with_activations_and_offset_range(tmp_path):
    """Asymmetric input range (non-zero zero point) and fused or following clamps."""
    L = layers()
    model = keras_model(lambda x: [L.ReLU(6.0)(L.MaxPooling2D(3, 2, padding="same")(x)),
                                   L.ReLU()(L.AveragePooling2D(3, 2, padding="same")(x)),
                                   L.AveragePooling2D((2, 5), (1, 3), padding="same")(x)],
                        [(9, 11, 4)])
    check_ops(model, tmp_path / "m.tflite", "AVERAGE_POOL_2D", "MAX_POOL_2D", low=-2.0, high=7.0)


def test_global_average_pooling(tmp_path):
    L = layers()
    model = keras_model(lambda x: [L.GlobalAveragePooling2D()(x), L.GlobalAveragePooling2D(keepdims=True)(x)],
                        [(13, 17, 6)])
    check_ops(model, tmp_path / "m.tflite", "MEAN", low=-0.5, high=3.0)


def test_pool_refuses_requantization(tmp_path):
    L = layers()
    path = quantize(keras_model(lambda x: L.MaxPooling2D(2)(x), [(4, 4, 2)]), tmp_path / "m.tflite")
    pool = first_op(path, "MAX_POOL_2D")
    patched = with_quantization(path, pool.outputs[0].index, float(pool.inputs[0].quant.s) * 2, 0)
    with pytest.raises(TinygenError, match="quantization differ"):
        validate(patched, compile_model(patched, REFERENCE))
