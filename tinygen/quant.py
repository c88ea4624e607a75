"""Generation-time quantization arithmetic, exactly as TFLite Micro computes it at Prepare time.

Bit-exactness depends on doing these in the same precision as TFLM (float32 where it uses float,
double where it uses double), so the conversions here are deliberate.
"""
from __future__ import annotations

import functools
import math

import numpy as np

from tinygen.errors import TinygenError
from tinygen.ir import Op, Tensor

INT8_MIN, INT8_MAX = -128, 127
INT32_MIN, INT32_MAX = -(1 << 31), (1 << 31) - 1
MAX_LEFT_SHIFT = 31  # a Q31 multiplier shifted left further leaves int32 (undefined in TFLM's C++)


class QuantizationRangeError(TinygenError):
    """An op's scales are so far apart that TFLM's Prepare arithmetic overflows: a float becomes
    infinite before it is rounded, or a multiplier needs a shift beyond int32. TFLM's result is
    undefined there, so the op is refused (tinygen.ops.lower names it)."""


def wrap32(x: int) -> int:
    """x as C's int32 arithmetic leaves it (two's complement wrap-around)."""
    return (x + (1 << 31)) % (1 << 32) - (1 << 31)


def saturating_doubling_high_mul(a: int, b: int) -> int:
    """TFLM's SaturatingRoundingDoublingHighMul (tg_sat_doubling_high_mul in tg_common.h)."""
    if a == b == INT32_MIN:
        return INT32_MAX
    total = a * b + ((1 << 30) if a * b >= 0 else 1 - (1 << 30))
    return (abs(total) >> 31) * (1 if total >= 0 else -1)  # C's division truncates


def rounding_divide_by_pot(x: int, exponent: int) -> int:
    """TFLM's RoundingDivideByPOT (tg_rounding_divide_by_pot in tg_common.h)."""
    mask = (1 << exponent) - 1
    threshold = (mask >> 1) + (1 if x < 0 else 0)
    return (x >> exponent) + (1 if (x & mask) > threshold else 0)


def saturating_mul_by_pot(x: int, exponent: int) -> int:
    """tg_fp_mul_by_pot (tg_fixedpoint.h) for exponent > 0: a left shift saturating to int32."""
    limit = (1 << (31 - exponent)) - 1
    return INT32_MAX if x > limit else INT32_MIN if x < -limit else x << exponent


def multiply_by_quantized_multiplier(x: int, multiplier: int, shift: int) -> int:
    """TFLM's MultiplyByQuantizedMultiplier on int32 (tg_requantize in tg_common.h)."""
    shifted = wrap32(x << max(shift, 0))
    return rounding_divide_by_pot(saturating_doubling_high_mul(shifted, multiplier), max(-shift, 0))


def round_half_away(x: float) -> int:
    """C's round(): halves go away from zero (Python's round() goes to even)."""
    if not math.isfinite(x):
        raise QuantizationRangeError(f"a quantization constant overflows to {x} (the scales are too far apart)")
    return int(math.copysign(math.floor(abs(x) + 0.5), x))


def quantize_multiplier(real: float) -> tuple[int, int]:
    """A real multiplier as (Q31 significand, power-of-two exponent), TFLM's QuantizeMultiplier."""
    if real == 0.0:
        return 0, 0
    q, shift = math.frexp(real)
    q_fixed = round_half_away(q * (1 << 31))
    if q_fixed == 1 << 31:
        q_fixed //= 2
        shift += 1
    if shift < -31:
        return 0, 0
    if shift > MAX_LEFT_SHIFT:
        raise QuantizationRangeError(f"a rescale factor of {real:g} is beyond TFLM's fixed-point range "
                                     "(the scales are too far apart)")
    return q_fixed, shift


def quantize_multiplier_smaller_than_one(real: float) -> tuple[int, int]:
    """TFLM's variant for multipliers in (0, 1): same result, the exponent is never positive."""
    multiplier, shift = quantize_multiplier(real)
    assert shift <= 0, real
    return multiplier, shift


def quantize_value(scale: float, zero_point: int, value: float) -> int:
    """TFLM's Quantize(): float32 division, rounded half away from zero."""
    return zero_point + round_half_away(float(np.float32(value) / np.float32(scale)))


def activation_range(activation: str, output: Tensor, qmin: int = INT8_MIN, qmax: int = INT8_MAX) -> tuple[int, int]:
    """The clamp a fused activation applies to a quantized output (CalculateActivationRangeQuantized)."""
    scale, zp = output.quant.s, output.quant.zp
    if activation == "NONE":
        return qmin, qmax
    if activation == "RELU":
        return max(qmin, quantize_value(scale, zp, 0.0)), qmax
    if activation == "RELU6":
        return max(qmin, quantize_value(scale, zp, 0.0)), min(qmax, quantize_value(scale, zp, 6.0))
    if activation == "RELU_N1_TO_1":
        return max(qmin, quantize_value(scale, zp, -1.0)), min(qmax, quantize_value(scale, zp, 1.0))
    raise TinygenError(f"fused activation {activation} is not supported on quantized outputs")


def per_channel_multipliers(input: Tensor, weights: Tensor, output: Tensor, channels: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-output-channel (multiplier, shift) as TFLM's PopulateConvolutionQuantizationParams.

    The product input_scale * weight_scale / output_scale is taken in double.
    """
    scales = weights.quant.scale
    scales = scales if len(scales) > 1 else np.repeat(scales, channels)
    pairs = _multipliers(float(input.quant.s), tuple(float(s) for s in scales), float(output.quant.s))
    return np.array([m for m, _ in pairs], np.int32), np.array([s for _, s in pairs], np.int32)


@functools.lru_cache(maxsize=1024)
def _multipliers(input_scale: float, weight_scales: tuple, output_scale: float) -> tuple:
    # Cached: patch-based inference lowers the same layer once per tile.
    return tuple(quantize_multiplier(input_scale * w / output_scale) for w in weight_scales)


def require_int8(op: Op, *tensors: Tensor | None) -> None:
    for t in tensors:
        if t is None:
            continue
        if t.dtype != "int8":
            raise TinygenError(f"{op.describe()}: {t.describe()} is {t.dtype}; this op is supported for int8 only")
        if t.quant is None:
            raise TinygenError(f"{op.describe()}: {t.describe()} has no quantization parameters")


def require_per_tensor_int8(op: Op, *tensors: Tensor) -> list[float]:
    """require_int8, and one scale per tensor (no per-channel quantization): the scales."""
    require_int8(op, *tensors)
    for t in tensors:
        if t.quant.per_channel:
            raise TinygenError(f"{op.describe()}: {t.describe()} is quantized per channel; this op needs one scale")
    return [float(t.quant.s) for t in tensors]
