"""SQUARED_DIFFERENCE (int8, numpy broadcasting), with TFLM's Prepare arithmetic.

Like ADD/SUB, both inputs are first brought to a common scale (half the larger input scale) with
headroom bits; squaring doubles those bits, so the output rescale divides by 2^(2*left_shift).
"""
from __future__ import annotations

from tinygen.ir import Op
from tinygen.ops import Call, Record, define
from tinygen.ops.broadcast import binary_inplace, walk_struct
from tinygen.ops.minmax import binary_operands
from tinygen.ops.operands import BINARY
from tinygen.ops.shapes import broadcast
from tinygen.quant import quantize_multiplier, require_per_tensor_int8

SQUARED_DIFFERENCE_PARAMS = Record("tg_squared_difference_params", """
    const tg_broadcast_walk *walk;
    int32_t left_shift, a_offset, b_offset, a_multiplier, a_shift, b_multiplier, b_shift,
        multiplier, shift, output_offset;
""")

LEFT_SHIFT = 7  # TFLM's int8 choice: (255 * 2^7)^2 still fits in int32


@define("SQUARED_DIFFERENCE", output_shape=broadcast, operands=BINARY)
def lower_squared_difference(op: Op) -> Call:
    a, b, out = binary_operands(op)
    sa, sb, so = require_per_tensor_int8(op, a, b, out)
    twice_max = 2.0 * max(sa, sb)
    a_multiplier, a_shift = quantize_multiplier(sa / twice_max)  # both within (0, 1/2]
    b_multiplier, b_shift = quantize_multiplier(sb / twice_max)
    multiplier, shift = quantize_multiplier(twice_max * twice_max / ((1 << 2 * LEFT_SHIFT) * so))
    params = SQUARED_DIFFERENCE_PARAMS({
        "walk": walk_struct(a, b, out), "left_shift": LEFT_SHIFT,
        "a_offset": -a.quant.zp, "b_offset": -b.quant.zp,
        "a_multiplier": a_multiplier, "a_shift": a_shift, "b_multiplier": b_multiplier, "b_shift": b_shift,
        "multiplier": multiplier, "shift": shift, "output_offset": out.quant.zp,
    })
    return Call("squared_difference", "tg_squared_difference_s8", [params, a, b, out], macs=out.size,
                inplace=binary_inplace(a, b, out))
