"""REDUCE_MAX (int8) over any set of axes, with or without keep_dims: it walks the input as MEAN
does (mean.py) and compares raw values, which TFLM allows only when input and output share their
quantization."""
from __future__ import annotations

from tinygen.errors import TinygenError
from tinygen.ir import Op
from tinygen.ops import Call, Record, define
from tinygen.ops.mean import reduction_walk
from tinygen.ops.operands import ANY, AXIS, Signature

REDUCE_MAX_PARAMS = Record("tg_reduce_max_params", """
    int32_t kept_count[3], kept_stride[3], reduced_count[3], reduced_stride[3];
""")


@define("REDUCE_MAX", options=(("keep_dims", "?", False),), operands=Signature((ANY, AXIS)))
def lower_reduce_max(op: Op) -> Call:
    walk, _ = reduction_walk(op)
    x, out = op.inputs[0], op.outputs[0]
    if x.quant.s != out.quant.s or x.quant.zp != out.quant.zp:
        raise TinygenError(f"{op.describe()}: input and output quantization differ (scale {x.quant.s} vs "
                           f"{out.quant.s}, zero point {x.quant.zp} vs {out.quant.zp}); TFLM's int8 REDUCE_MAX "
                           "requires them equal")
    return Call("reduce_max", "tg_reduce_max_s8", [REDUCE_MAX_PARAMS(walk), x, out], macs=x.size)
