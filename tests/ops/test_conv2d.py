import os
from pathlib import Path
from hypothesis import given
from tinygen.backends import cmsis_nn
from tinygen.compiler import compile_model
from tinygen.errors import TinygenError
from tinygen.frontend import load_model
from tinygen.options import CompileOptions, REFERENCE
from tinygen.passes import run_passes
from tinygen.validate import validate
import numpy as np
import pytest
from helpers import (FEW, Spec, assert_bit_exact, conv_configs, kernel_functions, keras_model, layers, quantize,
                     random_weights, single_op_model, with_quantization)


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


@pytest.mark.slow
@FEW
@given(conv_configs())
def test_conv2d_16x8(tmp_path_factory, c):
    """TFLite's 16x8 mode: int16 activations, int8 weights, int64 bias (tg_conv2d_s16)."""
    L = layers()
    model = keras_model(lambda x: L.Conv2D(c["cout"], c["kernel"], strides=c["stride"], padding=c["padding"],
                                           dilation_rate=c["dilation"], activation=c["activation"])(x),
                        [(c["h"], c["w"], c["cin"])])
    path = quantize(model, tmp_path_factory.mktemp("conv16") / "m.tflite", seed=c["seed"], io_dtype="int16")
    assert "tg_conv2d_s16" in kernel_functions(path)
    assert_bit_exact(path)


def _conv_16x8(path: Path, bias_dtype: str | None, seed: int = 0, **options) -> Path:
    """A one-op 16x8 CONV_2D, 3x3 stride 2, per-channel weights; its bias of `bias_dtype` or none."""
    rng = np.random.default_rng(seed)
    in_scale, w_scales = 2.0 ** -10, [float(np.float32(s)) for s in rng.uniform(0.002, 0.05, 5)]
    weights = Spec((5, 3, 3, 4), "int8", w_scales, 0, data=random_weights(rng, (5, 3, 3, 4)))
    inputs = [Spec((1, 9, 8, 4), "int16", in_scale, 0), weights]
    if bias_dtype:
        inputs.append(Spec((5,), bias_dtype, [in_scale * s for s in w_scales], 0,
                           data=rng.integers(-40000, 40000, 5).astype(bias_dtype)))
    return single_op_model(path, "CONV_2D", inputs, Spec((1, 5, 4, 5), "int16", 2.0 ** -9, 0),
                           padding=0, strideW=2, strideH=2, **options)


@pytest.mark.parametrize("bias_dtype, options, function", [
    ("int64", {}, "tg_conv2d_s16"),
    ("int32", {}, "tg_conv2d_s16_b32"),
    (None, {}, "tg_conv2d_s16"),
    (None, {"quantizedBiasType": 2}, "tg_conv2d_s16_b32"),  # TensorType INT32: TFLM accumulates in int32
])
def test_conv2d_16x8_accumulators(tmp_path, bias_dtype, options, function):
    """TFLM's int64 or int32 accumulator, by the bias type or (without a bias) the options."""
    path = _conv_16x8(tmp_path / "c.tflite", bias_dtype, **options)
    assert function in kernel_functions(path)
    assert_bit_exact(path, samples=6)


def test_conv2d_refuses_int16_weights_naming_the_types(tmp_path):
    rng = np.random.default_rng(0)
    weights = Spec((2, 1, 1, 3), "int16", [0.01, 0.02], 0, data=rng.integers(-99, 99, (2, 1, 1, 3)).astype(np.int16))
    path = single_op_model(tmp_path / "c.tflite", "CONV_2D", [Spec((1, 2, 2, 3), "int16", 0.01, 0), weights],
                           Spec((1, 2, 2, 2), "int16", 0.02, 0), strideW=1, strideH=1)
    with pytest.raises(TinygenError, match="CONV_2D with int16 input, int16 weights and int16 output is not supported"):
        compile_model(path, REFERENCE)


def test_conv2d_refuses_an_int16_zero_point(tmp_path):
    path = with_quantization(_conv_16x8(tmp_path / "c.tflite", "int64"), 0, 2.0 ** -10, 3)
    with pytest.raises(TinygenError, match="int16 input .* has zero point 3; TFLite Micro's int16 kernels need 0"):
        compile_model(path, REFERENCE)


def test_conv2d_16x8_keeps_the_reference_kernel_under_the_optimized_backends(tmp_path):
    """The builtin and CMSIS-NN backends implement int8 kernels: an int16 layer keeps its reference
    kernel (CMSIS-NN only when a checkout is named, as its own tests need)."""
    path = _conv_16x8(tmp_path / "c.tflite", "int64")
    backends = ["builtin"] + (["cmsis-nn"] if os.environ.get(cmsis_nn.ENV) else [])
    for kernels in backends:
        program = compile_model(path, CompileOptions(kernels=kernels, cmsis_nn=os.environ.get(cmsis_nn.ENV)))
        assert [call.function for _, call in program.calls] == ["tg_conv2d_s16"], kernels
        assert validate(path, program, samples=4).max_abs_diff == 0, kernels
