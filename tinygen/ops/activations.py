"""RELU, RELU6, LEAKY_RELU and HARD_SWISH on int8, each with TFLM's own Prepare arithmetic.

RELU/RELU6 that do not requantize are usually folded into the op before them
(passes/fuse_activations.py); what reaches here runs standalone.

Scale ratios are taken in double from the float32 scales: that is what the TFLM this is checked
against (the tflite-micro package) does, although older TFLM sources divided in float32 first.
"""
from __future__ import annotations

import numpy as np

from tinygen.errors import TinygenError
from tinygen.ir import Op
from tinygen.ops import Call, Struct, register
from tinygen.ops.inplace import elementwise_inplace
from tinygen.ops.quantize import requantize_params
from tinygen.quant import INT8_MAX, INT8_MIN, quantize_multiplier, quantize_value, require_int8


def _checked(op: Op):
    x, out = op.inputs[0], op.outputs[0]
    require_int8(op, x, out)
    if x.quant.per_channel or out.quant.per_channel:
        raise TinygenError(f"{op.describe()}: per-channel quantized activations are not supported")
    return x, out


@register("RELU")
def lower_relu(op: Op) -> Call:
    x, out = _checked(op)
    multiplier, shift = quantize_multiplier(float(x.quant.s) / float(out.quant.s))
    act_min = max(INT8_MIN, quantize_value(out.quant.s, out.quant.zp, 0.0))
    return Call("requantize", "tg_requantize_8bit",
                [requantize_params(x, out, multiplier, shift, act_min, INT8_MAX), x, out],
                inplace=elementwise_inplace(x, out))


@register("RELU6")
def lower_relu6(op: Op) -> Call:
    """TFLM's RELU6 clamps the raw input values and ignores the output's quantization."""
    x, out = _checked(op)
    zero = x.quant.zp
    six = min(INT8_MAX, max(INT8_MIN, quantize_value(x.quant.s, zero, 6.0)))
    multiplier, shift = quantize_multiplier(1.0)
    return Call("requantize", "tg_requantize_8bit",
                [requantize_params(x, out, multiplier, shift, zero, six, zero_points=(0, 0)), x, out],
                inplace=elementwise_inplace(x, out))


@register("RELU_N1_TO_1")
def lower_relu_n1_to_1(op: Op) -> Call:
    raise TinygenError(f"{op.describe()}: TFLite Micro has no standalone RELU_N1_TO_1 kernel; tinygen supports "
                       "it only fused into the op before it (same quantization on both sides)")


@register("LEAKY_RELU")
def lower_leaky_relu(op: Op) -> Call:
    x, out = _checked(op)
    alpha = float(np.float32(op.options["alpha"]))
    identity_multiplier, identity_shift = quantize_multiplier(float(x.quant.s) / float(out.quant.s))
    alpha_multiplier, alpha_shift = quantize_multiplier(float(x.quant.s) * alpha / float(out.quant.s))
    params = Struct("tg_leaky_relu_params", {
        "size": out.size, "input_zero_point": x.quant.zp, "output_zero_point": out.quant.zp,
        "identity_multiplier": identity_multiplier, "identity_shift": identity_shift,
        "alpha_multiplier": abs(alpha_multiplier), "alpha_shift": alpha_shift,
        "alpha_negative": int(alpha_multiplier < 0),
    })
    return Call("leaky_relu", "tg_leaky_relu_s8", [params, x, out], inplace=elementwise_inplace(x, out))


def _q15_multiplier(real: float) -> tuple[int, int]:
    """QuantizeMultiplier, then its Q31 significand rounded to Q15 (DownScaleInt32ToInt16Multiplier)."""
    multiplier, exponent = quantize_multiplier(real)
    if multiplier >= (1 << 31) - 1 - (1 << 15):
        return (1 << 15) - 1, exponent
    return (multiplier + (1 << 15)) >> 16, exponent


@register("HARD_SWISH")
def lower_hard_swish(op: Op) -> Call:
    x, out = _checked(op)
    hires_input_scale = float(np.float32(1.0 / 128.0) * x.quant.s)  # the product is float32
    reluish_scale = 3.0 / 32768.0
    output_multiplier, output_exponent = _q15_multiplier(hires_input_scale / float(out.quant.s))
    if output_exponent > 0:
        raise TinygenError(f"{op.describe()}: the output scale {out.quant.s} is too small for the input scale "
                           f"{x.quant.s} (TFLM's HARD_SWISH needs output_scale >= input_scale / 128)")
    reluish_multiplier, reluish_exponent = _q15_multiplier(hires_input_scale / reluish_scale)
    params = Struct("tg_hard_swish_params", {
        "size": out.size, "input_zero_point": x.quant.zp, "output_zero_point": out.quant.zp,
        "output_multiplier": output_multiplier, "output_exponent": output_exponent,
        "reluish_multiplier": reluish_multiplier, "reluish_exponent": reluish_exponent,
    })
    return Call("hard_swish", "tg_hard_swish_s8", [params, x, out], inplace=elementwise_inplace(x, out))
