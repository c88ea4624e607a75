"""SOFTMAX over the last axis: int8 input, int8 output (scale 1/256, zero point -128) or int16
output (scale 1/65536, zero point -32768); or int16 input and output (16x8: zero points 0, output
scale 1/32768), through TFLM's two int16 tables (exp on [-10, 0] and 1 / (1 + x) on [0, 1]),
which depend on no model parameter."""
from __future__ import annotations

import math

import numpy as np

from tinygen.errors import TinygenError
from tinygen.ir import Op
from tinygen.ops import Array, Call, Record, define
from tinygen.ops.lut import int16_table, libm_expf
from tinygen.ops.shapes import same_as_input
from tinygen.ops.operands import Operand, Signature
from tinygen.quant import ACTIVATION_TYPES, INT16_MAX, INT16_MIN, quantize_multiplier, require_quantized

SOFTMAX_PARAMS = Record("tg_softmax_params", """
    int32_t rows, depth, input_multiplier, input_left_shift, diff_min;
""")

SOFTMAX_S16_PARAMS = Record("tg_softmax_s16_params", """
    int32_t rows, depth, input_multiplier, input_shift;
    const int16_t *exp_table, *reciprocal_table;
""")
INT16_RANGE = INT16_MAX - INT16_MIN
EXP_RANGE = 10.0  # the int16 exp table covers differences from the row maximum down to -10

# Input differences are rescaled to fixed point with this many integer bits (the kernel's too).
SCALED_DIFF_INTEGER_BITS = 5


def input_scaling(op: Op, beta: float, input_scale: float) -> tuple[int, int]:
    """(multiplier, left shift) of beta * input_scale in Q5, TFLM's PreprocessSoftmaxScaling.

    The product is taken in double; capping at 2^31 - 1 means a difference of one step already
    drives every non-maximal exponential to zero.
    """
    real = min(beta * input_scale * (1 << (31 - SCALED_DIFF_INTEGER_BITS)), (1 << 31) - 1.0)
    if not real > 1.0:
        raise TinygenError(f"{op.describe()}: beta * input scale = {beta * input_scale:g} is too small "
                           f"for the int8 softmax (TFLM requires it above 2^-{31 - SCALED_DIFF_INTEGER_BITS})")
    return quantize_multiplier(real)


def input_radius(integer_bits: int, left_shift: int) -> int:
    """TFLM's CalculateInputRadius: the largest input magnitude whose rescaling stays in range."""
    return math.floor(1.0 * ((1 << integer_bits) - 1) * (1 << (31 - integer_bits)) / (1 << left_shift))


@define("SOFTMAX", options=(("beta", "f", 0.0),), output_shape=same_as_input,
        operands=Signature((Operand(ranks=(1, 2, 3, 4, 5, 6)),)))
def lower_softmax(op: Op) -> Call:
    x, out = op.inputs[0], op.outputs[0]
    wide = x.dtype == "int8" and out.dtype == "int16" and out.quant is not None  # int8 in, int16 out
    dtype = require_quantized(op, ACTIVATION_TYPES, *((x,) if wide else (x, out)))
    if not x.shape:
        raise TinygenError(f"{op.describe()}: the input must have at least one dimension")
    beta = float(np.float32(op.options.get("beta", 1.0)))
    depth = x.shape[-1]
    rows = x.size // depth if depth else 0
    if dtype == "int16":
        return _softmax_s16(op, beta, rows, depth)
    if wide and (out.quant.zp != -32768 or abs(float(out.quant.s) - 1.0 / 65536) > 0.001 / 65536):
        raise TinygenError(f"{op.describe()}: the int16 output of an int8 softmax must have scale 1/65536 and zero "
                           f"point -32768 (got {float(out.quant.s):g}, {out.quant.zp})")
    if not wide and (out.quant.zp != -128 or out.quant.s != np.float32(1.0 / 256)):
        raise TinygenError(f"{op.describe()}: the int8 output must have scale 1/256 and zero point -128 "
                           f"(got {float(out.quant.s):g}, {out.quant.zp})")
    multiplier, shift = input_scaling(op, beta, float(x.quant.s))
    params = SOFTMAX_PARAMS({
        "rows": rows, "depth": depth, "input_multiplier": multiplier, "input_left_shift": shift,
        "diff_min": -input_radius(SCALED_DIFF_INTEGER_BITS, shift),
    })
    return Call("softmax", "tg_softmax_s8_s16" if wide else "tg_softmax_s8", [params, x, out])


def _softmax_s16(op: Op, beta: float, rows: int, depth: int) -> Call:
    x, out = op.inputs[0], op.outputs[0]
    if x.quant.zp != 0 or out.quant.zp != 0 or abs(float(out.quant.s) - 1 / 32768) > 0.001 / 32768:
        raise TinygenError(f"{op.describe()}: the int16 softmax needs zero points 0 and output scale 1/32768 "
                           f"(got input zero point {x.quant.zp}, output {float(out.quant.s):g}, {out.quant.zp})")
    # Differences from the row maximum, scaled so that [-65535, 0] is [-10, 0].
    multiplier, shift = quantize_multiplier(float(x.quant.s) * beta / (EXP_RANGE / INT16_RANGE))
    f = np.float32
    per_step = [f(span) / f(INT16_RANGE) for span in (EXP_RANGE, 1.0, 2.0)]  # each divided in float32, as TFLM
    exp_table = int16_table(libm_expf(), per_step[0], INT16_MAX, per_step[2], 0)
    reciprocal_table = int16_table(lambda v: f(1.0) / (f(1.0) + v), per_step[1], INT16_MIN, per_step[2], 0)
    params = SOFTMAX_S16_PARAMS({
        "rows": rows, "depth": depth, "input_multiplier": multiplier, "input_shift": shift,
        "exp_table": Array(exp_table, "int16_t"), "reciprocal_table": Array(reciprocal_table, "int16_t"),
    })
    return Call("softmax", "tg_softmax_s16", [params, x, out])
