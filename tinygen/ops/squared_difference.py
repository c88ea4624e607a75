"""SQUARED_DIFFERENCE (int8, numpy broadcasting), with TFLM's Prepare arithmetic.

Like ADD/SUB, both inputs are first brought to a common scale (half the larger input scale) with
headroom bits; squaring doubles those bits, so the output rescale divides by 2^(2*left_shift).
"""
from __future__ import annotations

from tinygen.ir import Op
from tinygen.ops import Call, Struct, register
from tinygen.ops.broadcast import binary_inplace, walk_struct
from tinygen.ops.minmax import binary_operands
from tinygen.quant import quantize_multiplier, require_per_tensor_int8

LEFT_SHIFT = 7  # TFLM's int8 choice: (255 * 2^7)^2 still fits in int32


@register("SQUARED_DIFFERENCE")
def lower_squared_difference(op: Op) -> Call:
    a, b, out = binary_operands(op)
    sa, sb, so = require_per_tensor_int8(op, a, b, out)
    twice_max = 2.0 * max(sa, sb)
    a_multiplier, a_shift = quantize_multiplier(sa / twice_max)  # both within (0, 1/2]
    b_multiplier, b_shift = quantize_multiplier(sb / twice_max)
    multiplier, shift = quantize_multiplier(twice_max * twice_max / ((1 << 2 * LEFT_SHIFT) * so))
    params = Struct("tg_squared_difference_params", {
        "walk": walk_struct(a, b, out), "left_shift": LEFT_SHIFT,
        "a_offset": -a.quant.zp, "b_offset": -b.quant.zp,
        "a_multiplier": a_multiplier, "a_shift": a_shift, "b_multiplier": b_multiplier, "b_shift": b_shift,
        "multiplier": multiplier, "shift": shift, "output_offset": out.quant.zp,
    })
    return Call("squared_difference", "tg_squared_difference_s8", [params, a, b, out], macs=out.size,
                inplace=binary_inplace(a, b, out))
