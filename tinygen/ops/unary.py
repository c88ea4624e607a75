"""ABS, RSQRT and NEG on int8: TFLM's per-element integer arithmetic, tabulated (see lut.py).

Prepare-time ratios are in double, as in the TFLM release used as the oracle.
"""
from __future__ import annotations

import math

from tinygen.errors import TinygenError
from tinygen.ir import Op
from tinygen.ops import Call, register
from tinygen.ops.lut import (INT32_MAX, lut_call, requantize, rounding_divide_by_pot, sat_doubling_high_mul,
                             sat_mul_by_pot, wrap32)
from tinygen.quant import INT8_MAX, quantize_multiplier, require_int8

RSQRT_HEADROOM = 20  # TFLM scales 1/sqrt(x) by 2^20 to keep it an integer between its two requantizations


@register("ABS")
def lower_abs(op: Op) -> Call:
    x, out = op.inputs[0], op.outputs[0]
    require_int8(op, x, out)
    input_zp, output_zp = x.quant.zp, out.quant.zp
    if x.quant.s == out.quant.s:  # TFLM skips the rescale only for identical scales
        return lut_call(op, lambda q: abs(q - input_zp) + output_zp)
    multiplier, shift = quantize_multiplier(float(x.quant.s) / float(out.quant.s))
    return lut_call(op, lambda q: requantize(abs(q - input_zp), multiplier, shift) + output_zp)


@register("NEG")
def lower_neg(op: Op) -> Call:
    raise TinygenError(f"{op.describe()}: TFLite Micro's NEG supports float32 only, not quantized tensors")


def inv_sqrt(x: int) -> tuple[int, int]:
    """1 / sqrt(x) as (Q31 multiplier, exponent), TFLM's GetInvSqrtQuantizedMultiplierExp: x is
    scaled by powers of 4 into [2^27, 2^29), then five Newton-Raphson steps y <- y (3 - x y^2) / 2
    run in Q3 (3 integer bits) from y = 1. The same steps as inv_sqrt in templates/kernels/l2norm.c."""
    if x <= 1:
        return INT32_MAX, 0
    shift = 11
    while x >= 1 << 29:
        x //= 4
        shift += 1
    pairs = (32 - x.bit_length() - 1) // 2 - 1
    shift -= pairs
    x <<= 2 * pairs
    half_input = rounding_divide_by_pot(x >> 1, 1)
    three_halves = (1 << 28) + (1 << 27)
    y = 1 << 28
    for _ in range(5):
        y3 = sat_mul_by_pot(sat_doubling_high_mul(sat_doubling_high_mul(y, y), y), 6)
        y = sat_mul_by_pot(wrap32(sat_doubling_high_mul(three_halves, y) - sat_doubling_high_mul(half_input, y3)), 3)
    y = sat_doubling_high_mul(y, 1518500250)  # sqrt(2) / 2 in Q0
    if shift < 0:
        y, shift = wrap32(y << -shift), 0
    return y, -shift


@register("RSQRT")
def lower_rsqrt(op: Op) -> Call:
    """Inputs below the zero point (negative reals) make TFLM fail the invocation; tinygen gives
    them the output TFLM gives zero, the int8 maximum."""
    x, out = op.inputs[0], op.outputs[0]
    require_int8(op, x, out)
    input_zp, output_zp = x.quant.zp, out.quant.zp
    multiplier, shift = quantize_multiplier(1.0 / (math.sqrt(float(x.quant.s)) * float(out.quant.s)))

    def entry(q: int) -> int:
        value = q - input_zp
        if value <= 0:
            return INT8_MAX
        inv_multiplier, inv_shift = inv_sqrt(value)
        scaled = requantize(1, inv_multiplier, inv_shift + RSQRT_HEADROOM)
        return requantize(scaled, multiplier, shift - RSQRT_HEADROOM) + output_zp

    return lut_call(op, entry)
