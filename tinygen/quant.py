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
INT16_MIN, INT16_MAX = -(1 << 15), (1 << 15) - 1
INT32_MIN, INT32_MAX = -(1 << 31), (1 << 31) - 1
# The quantized activation types and their ranges (TFLM's 16x8 mode: int16 activations).
QUANTIZED_RANGES = {"int8": (INT8_MIN, INT8_MAX), "uint8": (0, 255), "int16": (INT16_MIN, INT16_MAX)}
# The activation types of TFLM's quantized kernels: int8, and int16 in its 16x8 mode.
ACTIVATION_TYPES = ("int8", "int16")
# How kernel names spell an element type: tg_binary_s16, tg_requantize_s32_s16, tg_quantize_f32_s8.
TYPE_SUFFIX = {"int8": "s8", "uint8": "u8", "int16": "s16", "int32": "s32", "float32": "f32"}


def dtype_range(dtype: str) -> tuple[int, int]:
    """(min, max) of a quantized activation type."""
    return QUANTIZED_RANGES[dtype]


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


def activation_range(activation: str, output: Tensor, qmin: int | None = None, qmax: int | None = None
                     ) -> tuple[int, int]:
    """The clamp a fused activation applies to a quantized output (CalculateActivationRangeQuantized),
    within the range of the output's type unless qmin/qmax say otherwise."""
    scale, zp = output.quant.s, output.quant.zp
    lo, hi = QUANTIZED_RANGES.get(output.dtype, (INT8_MIN, INT8_MAX))
    qmin, qmax = lo if qmin is None else qmin, hi if qmax is None else qmax
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


def role(op: Op, t: Tensor) -> str:
    """What a tensor is to an op, for messages: "input", "input 2", "output"."""
    if any(t is o for o in op.outputs):
        return "output" if len(op.outputs) == 1 else f"output {next(i for i, o in enumerate(op.outputs) if o is t)}"
    i = next((i for i, x in enumerate(op.inputs) if x is t), 0)
    return "input" if i == 0 else f"input {i}"


def _listing(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _with(names: list[str], dtypes) -> str:
    return _listing([f"{d} {n}" for n, d in zip(names, dtypes)])


def require_types(op: Op, supported, **operands: Tensor | None) -> tuple[str, ...]:
    """The dtypes of the named operands (keyword order), once they are one of the `supported`
    combinations (tuples in the same order); absent operands (None) match anything. Quantized
    operands but the bias must have quantization parameters. Anything else is one line naming the op and the
    types it got: "op 3 (CONV_2D -> 'y'): CONV_2D with int16 input, int16 weights and int16
    output is not supported (supported: int8 input, int8 weights and int8 output; int16 input,
    int8 weights and int16 output)"."""
    names = list(operands)
    got = tuple(None if t is None else t.dtype for t in operands.values())
    for combo in supported:
        if all(g is None or g == c for g, c in zip(got, combo)):
            for name, t in operands.items():  # a bias is raw accumulator values: no parameters needed
                if t is not None and name != "bias" and t.dtype in QUANTIZED_RANGES and t.quant is None:
                    raise TinygenError(f"{op.describe()}: its {name} {t.describe()} has no quantization parameters")
            return tuple(c if g is None else g for g, c in zip(got, combo))
    present = [(n, g) for n, g in zip(names, got) if g is not None]
    shown = _with([n for n, _ in present], [g for _, g in present])
    options = "; ".join(_with(names, combo) for combo in supported)
    raise TinygenError(f"{op.describe()}: {op.kind} with {shown} is not supported (supported: {options})")


TENSOR_TYPE_INT32 = 2  # the schema's TensorType, as options' quantized_bias_type holds it


def require_weighted_types(op: Op, supported: dict, x: Tensor, w: Tensor, bias: Tensor | None, out: Tensor) -> str:
    """For ops with weights and a bias (CONV_2D, FULLY_CONNECTED, ...): the kernel suffix of their
    (input, weights, bias, output) types, a key of `supported`. Without a bias, a 16x8 op that has an
    int32-bias kernel accumulates in int32 when its options' quantized_bias_type says int32, as in
    TFLM, else in int64."""
    types = require_types(op, supported, input=x, weights=w, bias=bias, output=out)
    require_zero_points(op, x, out)
    as_int32 = (types[0], types[1], "int32", types[3])
    if bias is None and op.options.get("quantized_bias_type") == TENSOR_TYPE_INT32 and as_int32 in supported:
        types = as_int32
    return supported[types]


def require_int8(op: Op, *tensors: Tensor | None) -> None:
    """Every tensor int8 with quantization parameters: for the ops tinygen runs on int8 only."""
    require_quantized(op, ("int8",), *tensors)


def require_quantized(op: Op, dtypes: tuple[str, ...], *tensors: Tensor | None) -> str:
    """Every tensor of one of `dtypes`, all of the same one, quantized; that dtype. The error
    names the op and the types it got: "ELU with int16 input is not supported (int8 only)"."""
    present = [t for t in tensors if t is not None]
    bad = [t for t in present if t.dtype not in dtypes]
    if bad or len({t.dtype for t in present}) > 1:
        shown = _listing([f"{t.dtype} {role(op, t)}" for t in (bad or present)])
        allowed = " or ".join(dtypes) + (" only" if len(dtypes) == 1 else ", one type throughout")
        raise TinygenError(f"{op.describe()}: {op.kind} with {shown} is not supported ({allowed})")
    for t in present:
        if t.quant is None:
            raise TinygenError(f"{op.describe()}: {t.describe()} has no quantization parameters")
    return present[0].dtype if present else dtypes[0]


def require_per_tensor_int8(op: Op, *tensors: Tensor) -> list[float]:
    """require_int8, and one scale per tensor (no per-channel quantization): the scales."""
    require_int8(op, *tensors)
    return per_tensor_scales(op, *tensors)


def per_tensor_scales(op: Op, *tensors: Tensor) -> list[float]:
    """One scale per tensor (no per-channel quantization): the scales."""
    for t in tensors:
        if t.quant.per_channel:
            raise TinygenError(f"{op.describe()}: {t.describe()} is quantized per channel; this op needs one scale")
    return [float(t.quant.s) for t in tensors]


def require_zero_points(op: Op, *tensors: Tensor | None) -> None:
    """TFLM's 16x8 kernels take symmetric int16 activations (zero point 0)."""
    for t in tensors:
        if t is not None and t.dtype == "int16" and t.quant is not None and any(int(z) for z in t.quant.zero_point):
            raise TinygenError(f"{op.describe()}: its int16 {role(op, t)} {t.describe()} has zero point "
                               f"{t.quant.zp}; TFLite Micro's int16 kernels need 0")
