"""TRANSPOSE (int8, constant permutation, rank <= 6): a gather with permuted input strides.

Like TFLM, values are moved unchanged whatever the output's quantization says.
"""
from __future__ import annotations

import numpy as np

from tinygen.errors import TinygenError
from tinygen.ir import Op
from tinygen.ops import Call, Record, define
from tinygen.ops.operands import ANY, VECTOR, Signature
from tinygen.ops.shapes import refuse
from tinygen.quant import require_int8

TRANSPOSE_PARAMS = Record("tg_transpose_params", """
    int32_t out_dims[6], in_stride[6];
""")

MAX_RANK = 6


def _output_shape(op: Op):
    x, perm = op.inputs[0], op.inputs[1]
    order = [int(p) for p in perm.data.ravel()]
    if sorted(order) != list(range(len(x.shape))):
        raise refuse(op, f"{order} is not a permutation of {len(x.shape)} axes")
    return tuple(x.shape[p] for p in order)


@define("TRANSPOSE", output_shape=_output_shape, operands=Signature((ANY, VECTOR)))
def lower_transpose(op: Op) -> Call:
    x, perm, out = op.inputs[0], op.inputs[1], op.outputs[0]
    require_int8(op, x, out)
    rank = len(x.shape)
    if perm is None or not perm.is_const or perm.dtype != "int32":
        raise TinygenError(f"{op.describe()}: the permutation must be a constant int32 tensor")
    order = [int(p) for p in perm.data.ravel()]
    if sorted(order) != list(range(rank)):
        raise TinygenError(f"{op.describe()}: {order} is not a permutation of {rank} axes")
    if rank > MAX_RANK:
        raise TinygenError(f"{op.describe()}: rank {rank} is above the supported {MAX_RANK}")
    if tuple(out.shape) != tuple(x.shape[p] for p in order):
        raise TinygenError(f"{op.describe()}: output shape {out.shape} is not {x.shape} permuted by {order}")
    strides = [int(np.prod(x.shape[a + 1:], dtype=np.int64)) for a in range(rank)]
    lead = MAX_RANK - rank
    params = TRANSPOSE_PARAMS({
        "out_dims": [1] * lead + list(out.shape), "in_stride": [0] * lead + [strides[p] for p in order],
    })
    return Call("transpose", "tg_transpose_s8", [params, x, out])
