"""Element-wise int8 ops as a 256-entry table computed at generation time; ELU is one of them.

One kernel (templates/kernels/lut.c) serves every table op. ELU's table is built exactly as
TFLM's Prepare builds it, in float32 with the C library's expf; the ops in unary.py tabulate
TFLM's per-element fixed-point arithmetic with the integer helpers below, which reproduce
tg_common.h bit for bit.
"""
from __future__ import annotations

import ctypes
import ctypes.util
from collections.abc import Callable

import numpy as np

from tinygen.errors import TinygenError
from tinygen.ir import Op, Tensor
from tinygen.ops import Array, Call, Struct, register
from tinygen.ops.inplace import elementwise_inplace
from tinygen.quant import INT8_MAX, INT8_MIN, require_int8, round_half_away

INT8_VALUES = range(INT8_MIN, INT8_MAX + 1)  # the table order: entry i is for input i - 128
INT32_MIN, INT32_MAX = -(1 << 31), (1 << 31) - 1


def wrap32(x: int) -> int:
    """x as C's int32 arithmetic leaves it (two's complement wrap-around)."""
    return (x + (1 << 31)) % (1 << 32) - (1 << 31)


def sat_doubling_high_mul(a: int, b: int) -> int:
    """tg_sat_doubling_high_mul (tg_common.h)."""
    if a == b == INT32_MIN:
        return INT32_MAX
    total = a * b + ((1 << 30) if a * b >= 0 else 1 - (1 << 30))
    return (abs(total) >> 31) * (1 if total >= 0 else -1)  # C's division truncates


def rounding_divide_by_pot(x: int, exponent: int) -> int:
    """tg_rounding_divide_by_pot (tg_common.h)."""
    mask = (1 << exponent) - 1
    threshold = (mask >> 1) + (1 if x < 0 else 0)
    return (x >> exponent) + (1 if (x & mask) > threshold else 0)


def sat_mul_by_pot(x: int, exponent: int) -> int:
    """tg_fp_mul_by_pot (tg_fixedpoint.h) for exponent > 0: a left shift saturating to int32."""
    limit = (1 << (31 - exponent)) - 1
    return INT32_MAX if x > limit else INT32_MIN if x < -limit else x << exponent


def requantize(x: int, multiplier: int, shift: int) -> int:
    """TFLM's MultiplyByQuantizedMultiplier on int32 (tg_requantize in tg_common.h)."""
    shifted = wrap32(x << max(shift, 0))
    return rounding_divide_by_pot(sat_doubling_high_mul(shifted, multiplier), max(-shift, 0))


def lut_call(op: Op, entry: Callable[[int], int]) -> Call:
    """The op as a table lookup; entry(q) is the output for input value q, clamped to int8 here."""
    x, out = op.inputs[0], op.outputs[0]
    require_int8(op, x, out)
    if x.quant.per_channel or out.quant.per_channel:
        raise TinygenError(f"{op.describe()}: per-channel quantized tensors are not supported")
    if tuple(x.shape) != tuple(out.shape):
        raise TinygenError(f"{op.describe()}: output shape {out.shape} differs from input shape {x.shape}")
    table = np.array([min(INT8_MAX, max(INT8_MIN, entry(q))) for q in INT8_VALUES], np.int8)
    params = Struct("tg_lut_params", {"size": out.size, "table": Array(table, "int8_t")})
    return Call("lut", "tg_lut_s8", [params, x, out], inplace=elementwise_inplace(x, out))


def _libm_expf() -> Callable[[np.float32], np.float32]:
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


@register("ELU")
def lower_elu(op: Op) -> Call:
    require_int8(op, op.inputs[0], op.outputs[0])
    expf = _libm_expf()

    def elu(v: np.float32) -> np.float32:
        return expf(v) - np.float32(1.0) if v < 0 else v

    return lut_call(op, _float_table_entry(op.inputs[0], op.outputs[0], elu))


@register("EXP")
def lower_exp(op: Op) -> Call:
    raise TinygenError(f"{op.describe()}: TFLite Micro's EXP supports float32 only, not quantized tensors")
