"""LOGISTIC and TANH, int8: the input is rescaled to Q4 fixed point within a saturation radius."""
from __future__ import annotations

import math

from tinygen.errors import TinygenError
from tinygen.ir import Op
from tinygen.ops import Call, Record, Struct, define, tiling
from tinygen.ops.shapes import same_as_input
from tinygen.ops.inplace import elementwise_inplace
from tinygen.ops.softmax import input_radius
from tinygen.ops.operands import UNARY
from tinygen.quant import require_int8, round_half_away

LOGISTIC_PARAMS = Record("tg_logistic_params", """
    int32_t size, input_zero_point, input_range_radius, input_multiplier, input_left_shift;
""")

INPUT_INTEGER_BITS = 4


def _params(op: Op) -> Struct:
    """TFLM's Prepare: a plain frexp of input_scale * 2^27 (no QuantizeMultiplier adjustments)."""
    x, out = op.inputs[0], op.outputs[0]
    require_int8(op, x, out)
    q, shift = math.frexp(float(x.quant.s) * (1 << (31 - INPUT_INTEGER_BITS)))
    if not 0 <= shift < 63:
        raise TinygenError(f"{op.describe()}: input scale {float(x.quant.s):g} is out of the range TFLM supports")
    multiplier = round_half_away(q * (1 << 31))
    assert multiplier < 1 << 31  # a float32 scale has too few significant bits to round up to 2^31
    return LOGISTIC_PARAMS({
        "size": x.size, "input_zero_point": x.quant.zp,
        "input_range_radius": input_radius(INPUT_INTEGER_BITS, shift),
        "input_multiplier": multiplier, "input_left_shift": shift,
    })


@define("LOGISTIC", output_shape=same_as_input, tiling=tiling.pointwise, operands=UNARY)
def lower_logistic(op: Op) -> Call:
    params = _params(op)
    if op.outputs[0].quant.zp != -128:
        raise TinygenError(f"{op.describe()}: the int8 output must have zero point -128 (got {op.outputs[0].quant.zp})")
    return Call("logistic", "tg_logistic_s8", [params, op.inputs[0], op.outputs[0]],
                inplace=elementwise_inplace(op.inputs[0], op.outputs[0]))


@define("TANH", output_shape=same_as_input, tiling=tiling.pointwise, operands=UNARY)
def lower_tanh(op: Op) -> Call:
    return Call("logistic", "tg_tanh_s8", [_params(op), op.inputs[0], op.outputs[0]],
                inplace=elementwise_inplace(op.inputs[0], op.outputs[0]))
