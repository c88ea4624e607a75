"""SPLIT, SPLIT_V and UNPACK: the input's rows dealt out to several outputs in one pass.

All three are the same copy: along the (constant) axis, each output takes its share of every
row. Like TFLM, the share sizes come from the output shapes, and values move unchanged.
"""
from __future__ import annotations

import numpy as np

from tinygen.errors import TinygenError
from tinygen.ir import Op, Tensor
from tinygen.ops import Call, Record, define
from tinygen.ops.gather import element_bytes
from tinygen.ops.operands import ANY, AXIS, VECTOR, Signature

SPLIT_PARAMS = Record("tg_split_params", """
    int32_t outer, count;
    int32_t block_bytes[TG_SPLIT_MAX_OUTPUTS];
    void *outputs[TG_SPLIT_MAX_OUTPUTS];
""")

TYPES = ("int8", "int16", "int32", "float32")
MAX_OUTPUTS = 32  # TG_SPLIT_MAX_OUTPUTS in the kernel


def _constant_axis(op: Op, axis: Tensor, rank: int) -> int:
    if axis is None or not axis.is_const or axis.dtype != "int32" or axis.size != 1:
        raise TinygenError(f"{op.describe()}: the axis must be a constant int32 scalar")
    return _check_axis(op, int(axis.data.ravel()[0]), rank)


def _check_axis(op: Op, axis: int, rank: int) -> int:
    if not -rank <= axis < rank:
        raise TinygenError(f"{op.describe()}: axis {axis} is out of range for rank {rank}")
    return axis % rank


def _split_call(op: Op, x: Tensor, axis: int, shares: list[int]) -> Call:
    """Output i takes shares[i] indices along the axis from every row."""
    outputs = op.outputs
    itemsize = element_bytes(op, TYPES, x, *outputs)
    if not 1 <= len(outputs) <= MAX_OUTPUTS:
        raise TinygenError(f"{op.describe()}: {len(outputs)} outputs; 1 to {MAX_OUTPUTS} are supported")
    if sum(shares) != x.shape[axis]:
        raise TinygenError(f"{op.describe()}: output sizes {shares} along axis {axis} do not add up to {x.shape[axis]}")
    inner = int(np.prod(x.shape[axis + 1:], dtype=np.int64)) * itemsize
    params = SPLIT_PARAMS({
        "outer": int(np.prod(x.shape[:axis], dtype=np.int64)), "count": len(outputs),
        "block_bytes": [share * inner for share in shares], "outputs": list(outputs),
    })
    return Call("split", "tg_split", [params, x])


def _check_kept(op: Op, x: Tensor, axis: int) -> list[int]:
    """Each output's size along the axis, once it matches the input everywhere else."""
    for t in op.outputs:
        if len(t.shape) != len(x.shape) or any(a != b for i, (a, b) in enumerate(zip(t.shape, x.shape)) if i != axis):
            raise TinygenError(f"{op.describe()}: {t.describe()} of shape {t.shape} is not a part of {x.shape}")
    return [t.shape[axis] for t in op.outputs]


@define("SPLIT", operands=Signature((AXIS, ANY), several_outputs=True))
def lower_split(op: Op) -> Call:
    x = op.inputs[1]
    axis = _constant_axis(op, op.inputs[0], len(x.shape))
    shares = _check_kept(op, x, axis)
    if len(set(shares)) > 1:
        raise TinygenError(f"{op.describe()}: SPLIT outputs must be equal, got sizes {shares}")
    return _split_call(op, x, axis, shares)


@define("SPLIT_V", operands=Signature((ANY, VECTOR, AXIS), several_outputs=True))
def lower_split_v(op: Op) -> Call:
    x = op.inputs[0]
    axis = _constant_axis(op, op.inputs[2], len(x.shape))
    return _split_call(op, x, axis, _check_kept(op, x, axis))


@define("UNPACK", options=(("num", "i", 0), ("axis", "i", 0)), operands=Signature((ANY,), several_outputs=True))
def lower_unpack(op: Op) -> Call:
    x = op.inputs[0]
    axis = _check_axis(op, op.options["axis"], len(x.shape))
    removed = tuple(x.shape[:axis]) + tuple(x.shape[axis + 1:])
    if op.options["num"] != len(op.outputs) or any(tuple(t.shape) != removed for t in op.outputs):
        raise TinygenError(f"{op.describe()}: expected {x.shape[axis]} outputs of shape {removed}")
    return _split_call(op, x, axis, [1] * len(op.outputs))
