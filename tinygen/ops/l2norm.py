"""L2_NORMALIZATION (int8) along the innermost dim.

TFLM's int8 kernel writes the result with scale 1/128 and zero point 0 regardless of the output
tensor's parameters (the converter sets exactly those), so only the input zero point is needed.
"""
from __future__ import annotations

from tinygen.errors import TinygenError
from tinygen.ir import Op
from tinygen.ops import ACTIVATION, Call, Record, define
from tinygen.ops.inplace import elementwise_inplace
from tinygen.ops.operands import Operand, Signature
from tinygen.ops.shapes import same_as_input
from tinygen.quant import require_int8

L2NORM_PARAMS = Record("tg_l2norm_params", """
    int32_t rows, depth, input_zero_point;
""")


@define("L2_NORMALIZATION", options=(ACTIVATION,), output_shape=same_as_input,
        operands=Signature((Operand(ranks=(1, 2, 3, 4)),)))
def lower_l2norm(op: Op) -> Call:
    x, out = op.inputs[0], op.outputs[0]
    require_int8(op, x, out)
    if not 1 <= len(x.shape) <= 4 or x.size == 0:
        raise TinygenError(f"{op.describe()}: input shape {x.shape} is not supported (TFLM: rank 1 to 4)")
    if tuple(out.shape) != tuple(x.shape):
        raise TinygenError(f"{op.describe()}: output shape {out.shape} differs from input shape {x.shape}")
    if op.options["activation"] != "NONE":
        raise TinygenError(f"{op.describe()}: fused activation {op.options['activation']} is not supported "
                           "(TFLM requires NONE)")
    depth = x.shape[-1]
    params = L2NORM_PARAMS({"rows": x.size // depth, "depth": depth,
                                         "input_zero_point": x.quant.zp})
    return Call("l2norm", "tg_l2norm_s8", [params, x, out], macs=2 * x.size, inplace=elementwise_inplace(x, out))
