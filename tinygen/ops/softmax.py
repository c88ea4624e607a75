"""SOFTMAX over the last axis: int8 input, int8 output (scale 1/256, zero point -128)."""
from __future__ import annotations

import math

import numpy as np

from tinygen.errors import TinygenError
from tinygen.ir import Op
from tinygen.ops import Call, Record, define
from tinygen.ops.shapes import same_as_input
from tinygen.ops.operands import Operand, Signature
from tinygen.quant import quantize_multiplier, require_int8

SOFTMAX_PARAMS = Record("tg_softmax_params", """
    int32_t rows, depth, input_multiplier, input_left_shift, diff_min;
""")

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
    require_int8(op, x, out)
    if not x.shape:
        raise TinygenError(f"{op.describe()}: the input must have at least one dimension")
    if out.quant.zp != -128 or out.quant.s != np.float32(1.0 / 256):
        raise TinygenError(f"{op.describe()}: the int8 output must have scale 1/256 and zero point -128 "
                           f"(got {float(out.quant.s):g}, {out.quant.zp})")
    beta = float(np.float32(op.options.get("beta", 1.0)))
    multiplier, shift = input_scaling(op, beta, float(x.quant.s))
    depth = x.shape[-1]
    params = SOFTMAX_PARAMS({
        "rows": x.size // depth if depth else 0, "depth": depth,
        "input_multiplier": multiplier, "input_left_shift": shift,
        "diff_min": -input_radius(SCALED_DIFF_INTEGER_BITS, shift),
    })
    return Call("softmax", "tg_softmax_s8", [params, x, out])
