"""ARG_MAX and ARG_MIN (int8 input, constant axis, int32 output): one scan along the axis."""
from __future__ import annotations

import numpy as np

from tinygen.errors import TinygenError
from tinygen.ir import Op
from tinygen.ops import Call, Record, define
from tinygen.ops.operands import ANY, INDICES, Operand, Signature
from tinygen.quant import require_int8

ARG_MINMAX_PARAMS = Record("tg_arg_minmax_params", """
    int32_t outer, axis_size, inner, find_max;
""")


@define("ARG_MAX", "ARG_MIN", operands=Signature((ANY, Operand(dtypes=INDICES, constant=True))))
def lower_arg_minmax(op: Op) -> Call:
    x, axis, out = op.inputs[0], op.inputs[1], op.outputs[0]
    require_int8(op, x)
    if out.dtype != "int32":
        raise TinygenError(f"{op.describe()}: the output is {out.dtype}; TFLM supports int32 indices only")
    if not axis.is_const or axis.dtype != "int32" or axis.size != 1:
        raise TinygenError(f"{op.describe()}: the axis must be a constant int32 scalar")
    rank = len(x.shape)
    a = int(axis.data.ravel()[0])
    if not -rank <= a < rank:
        raise TinygenError(f"{op.describe()}: axis {a} is out of range for rank {rank}")
    a %= rank
    if tuple(out.shape) != tuple(x.shape[:a]) + tuple(x.shape[a + 1:]):
        raise TinygenError(f"{op.describe()}: output shape {out.shape} is not {x.shape} without axis {a}")
    params = ARG_MINMAX_PARAMS({
        "outer": int(np.prod(x.shape[:a], dtype=np.int64)), "axis_size": x.shape[a],
        "inner": int(np.prod(x.shape[a + 1:], dtype=np.int64)), "find_max": int(op.kind == "ARG_MAX"),
    })
    return Call("arg_minmax", "tg_arg_minmax_s8", [params, x, out])
