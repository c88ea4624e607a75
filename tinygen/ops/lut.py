"""Element-wise int8 ops as a 256-entry table computed at generation time: ELU, ABS and RSQRT.

One kernel (tinygen/kernels/reference/lut.c) serves every table op. ELU's table is built exactly as
TFLM's Prepare builds it, in float32 with the C library's expf; ABS and RSQRT tabulate TFLM's
per-element fixed-point arithmetic with the integer helpers of tinygen.quant, which reproduce
tg_common.h bit for bit. Prepare-time ratios are in double, as in the TFLM release used as the
oracle.
"""
from __future__ import annotations

import ctypes
import math
import ctypes.util
from collections.abc import Callable

import numpy as np

from tinygen.errors import TinygenError
from tinygen.ir import Op, Tensor
from tinygen.ops import Array, Call, Record, define
from tinygen.ops.inplace import elementwise_inplace
from tinygen.ops.operands import UNARY
from tinygen.ops.shapes import same_as_input
from tinygen.quant import (INT8_MAX, INT8_MIN, INT16_MAX, INT16_MIN, INT32_MAX, multiply_by_quantized_multiplier,
                           quantize_multiplier, require_int8, round_half_away, rounding_divide_by_pot,
                           saturating_doubling_high_mul, saturating_mul_by_pot, wrap32)

LUT_PARAMS = Record("tg_lut_params", """
    int32_t size;
    const int8_t *table;
""")

INT8_VALUES = range(INT8_MIN, INT8_MAX + 1)  # the table order: entry i is for input i - 128


def lut_call(op: Op, entry: Callable[[int], int]) -> Call:
    """The op as a table lookup; entry(q) is the output for input value q, clamped to int8 here."""
    x, out = op.inputs[0], op.outputs[0]
    require_int8(op, x, out)
    if x.quant.per_channel or out.quant.per_channel:
        raise TinygenError(f"{op.describe()}: per-channel quantized tensors are not supported")
    if tuple(x.shape) != tuple(out.shape):
        raise TinygenError(f"{op.describe()}: output shape {out.shape} differs from input shape {x.shape}")
    table = np.array([min(INT8_MAX, max(INT8_MIN, entry(q))) for q in INT8_VALUES], np.int8)
    params = LUT_PARAMS({"size": out.size, "table": Array(table, "int8_t")})
    return Call("lut", "tg_lut_s8", [params, x, out], inplace=elementwise_inplace(x, out))


def libm_expf() -> Callable[[np.float32], np.float32]:
    """The C library's expf, which TFLM calls; numpy's float32 exp is a different implementation."""
    name = ctypes.util.find_library("m")
    if name is None:
        return lambda v: np.exp(np.float32(v))
    expf = ctypes.CDLL(name).expf
    expf.restype, expf.argtypes = ctypes.c_float, [ctypes.c_float]
    return lambda v: np.float32(expf(float(v)))


def _float_table_entry(x: Tensor, out: Tensor, transform: Callable[[np.float32], np.float32]) -> Callable[[int], int]:
    """TFLM's float32 table recipe: dequantize, transform, multiply by the reciprocal output
    scale, round half away from zero, add the zero point in float and truncate."""
    inverse_scale = np.float32(1.0) / out.quant.s
    zero_point = np.float32(out.quant.zp)

    def entry(q: int) -> int:
        transformed = transform(x.quant.s * np.float32(q - x.quant.zp))
        rescaled = np.float32(round_half_away(float(transformed * inverse_scale)))
        return int(np.clip(rescaled + zero_point, INT8_MIN, INT8_MAX))  # clamped first, so the cast is exact

    return entry


INT16_TABLE_STEPS = 512  # an int16 table: 512 segments, interpolated on the low 7 bits of the input


def int16_table(transform: Callable[[np.float32], np.float32], input_scale: float, input_zero_point: int,
                output_scale: float, output_zero_point: int) -> np.ndarray:
    """TFLM's 513-entry int16 table of `transform` (LUTPopulate for int16, in float32): a sample at
    the start of each segment, nudged by half the error its linear interpolation makes at the
    segment's midpoint, and the value at the end of the range."""
    f = np.float32

    def scaled(value: np.float32) -> np.float32:
        return f(round_half_away(float(value * scaling)))

    input_min, input_max = (f(input_scale) * f(q - input_zero_point) for q in (INT16_MIN, INT16_MAX))
    output_min, output_max = (f(output_scale) * f(q - output_zero_point) for q in (INT16_MIN, INT16_MAX))
    step = (input_max - input_min) / f(INT16_TABLE_STEPS)
    scaling = f(INT16_MAX - INT16_MIN + 1) / (output_max - output_min)
    table = []
    for i in range(INT16_TABLE_STEPS):
        start = input_min + f(i) * step
        value, midpoint = transform(start), transform(start + step / f(2))
        following = transform(input_min + f(i + 1) * step)
        interpolated = f(round_half_away(float((following * scaling + scaled(value)) / f(2))))
        bias = f(round_half_away(float((interpolated - scaled(midpoint)) / f(2))))
        table.append(min(max(scaled(value) - bias, f(INT16_MIN)), f(INT16_MAX)))
    table.append(min(max(scaled(transform(input_max)), f(INT16_MIN)), f(INT16_MAX)))
    return np.array(table, np.float32).astype(np.int16)


@define("ELU", output_shape=same_as_input, operands=UNARY)
def lower_elu(op: Op) -> Call:
    require_int8(op, op.inputs[0], op.outputs[0])
    expf = libm_expf()

    def elu(v: np.float32) -> np.float32:
        return expf(v) - np.float32(1.0) if v < 0 else v

    return lut_call(op, _float_table_entry(op.inputs[0], op.outputs[0], elu))


@define("EXP", output_shape=same_as_input, operands=UNARY)
def lower_exp(op: Op) -> Call:
    raise TinygenError(f"{op.describe()}: TFLite Micro's EXP supports float32 only, not quantized tensors")


RSQRT_HEADROOM = 20  # TFLM scales 1/sqrt(x) by 2^20 to keep it an integer between its two requantizations


@define("ABS", output_shape=same_as_input, operands=UNARY)
def lower_abs(op: Op) -> Call:
    x, out = op.inputs[0], op.outputs[0]
    require_int8(op, x, out)
    input_zp, output_zp = x.quant.zp, out.quant.zp
    if x.quant.s == out.quant.s:  # TFLM skips the rescale only for identical scales
        return lut_call(op, lambda q: abs(q - input_zp) + output_zp)
    multiplier, shift = quantize_multiplier(float(x.quant.s) / float(out.quant.s))
    return lut_call(op, lambda q: multiply_by_quantized_multiplier(abs(q - input_zp), multiplier, shift) + output_zp)


@define("NEG", output_shape=same_as_input, operands=UNARY)
def lower_neg(op: Op) -> Call:
    raise TinygenError(f"{op.describe()}: TFLite Micro's NEG supports float32 only, not quantized tensors")


def inv_sqrt(x: int) -> tuple[int, int]:
    """1 / sqrt(x) as (Q31 multiplier, exponent), TFLM's GetInvSqrtQuantizedMultiplierExp: x is
    scaled by powers of 4 into [2^27, 2^29), then five Newton-Raphson steps y <- y (3 - x y^2) / 2
    run in Q3 (3 integer bits) from y = 1. The same steps as inv_sqrt in tinygen/kernels/reference/l2norm.c."""
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
        y3 = saturating_mul_by_pot(saturating_doubling_high_mul(saturating_doubling_high_mul(y, y), y), 6)
        y = saturating_mul_by_pot(wrap32(saturating_doubling_high_mul(three_halves, y) - saturating_doubling_high_mul(half_input, y3)), 3)
    y = saturating_doubling_high_mul(y, 1518500250)  # sqrt(2) / 2 in Q0
    if shift < 0:
        y, shift = wrap32(y << -shift), 0
    return y, -shift


@define("RSQRT", output_shape=same_as_input, operands=UNARY)
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
        scaled = multiply_by_quantized_multiplier(1, inv_multiplier, inv_shift + RSQRT_HEADROOM)
        return multiply_by_quantized_multiplier(scaled, multiplier, shift - RSQRT_HEADROOM) + output_zp

    return lut_call(op, entry)
