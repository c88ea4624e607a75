"""PRELU (int8): alpha, any shape broadcasting against the input, usually a constant per channel.

TFLM quantizes two multipliers at Prepare, in double: one for the identity side and one that
folds the alpha scale in for the negative side.
"""
from __future__ import annotations

from tinygen.ir import Op
from tinygen.ops import Call, Record, define
from tinygen.ops.broadcast import binary_inplace, walk_struct
from tinygen.ops.minmax import binary_operands
from tinygen.ops.operands import BINARY
from tinygen.ops.shapes import broadcast
from tinygen.quant import quantize_multiplier, require_per_tensor_int8

PRELU_PARAMS = Record("tg_prelu_params", """
    const tg_broadcast_walk *walk;
    int32_t input_offset, alpha_offset, output_offset, identity_multiplier, identity_shift,
        alpha_multiplier, alpha_shift;
""")


@define("PRELU", output_shape=broadcast, operands=BINARY)
def lower_prelu(op: Op) -> Call:
    x, alpha, out = binary_operands(op)
    si, sa, so = require_per_tensor_int8(op, x, alpha, out)
    identity_multiplier, identity_shift = quantize_multiplier(si / so)
    alpha_multiplier, alpha_shift = quantize_multiplier(si * sa / so)
    params = PRELU_PARAMS({
        "walk": walk_struct(x, alpha, out),
        "input_offset": -x.quant.zp, "alpha_offset": -alpha.quant.zp, "output_offset": out.quant.zp,
        "identity_multiplier": identity_multiplier, "identity_shift": identity_shift,
        "alpha_multiplier": alpha_multiplier, "alpha_shift": alpha_shift,
    })
    return Call("prelu", "tg_prelu_s8", [params, x, alpha, out], macs=out.size,
                inplace=binary_inplace(x, alpha, out))
