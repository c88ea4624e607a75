"""GATHER (constant indices, batch_dims 0), and the table-driven block copy it shares with the other
data-movement ops whose source offsets split into one term per output axis.

Such an op is a `tg_gather` call: the output is up to 5 axes of contiguous blocks, the input offset
of a block is the sum of one table entry per axis, and the tables are filled in now. Like TFLM,
values are moved unchanged, whatever the output's quantization says.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from tinygen.errors import TinygenError
from tinygen.ir import Op, Tensor
from tinygen.ops import Array, Call, Record, define, exact
from tinygen.ops.operands import ANY, INDICES, Operand, Signature

GATHER_PARAMS = Record("tg_gather_params", """
    int32_t dims[5];
    const int32_t *offsets;
    int32_t block_bytes;
""")

MAX_AXES = 5


def element_bytes(op: Op, allowed: tuple[str, ...], x: Tensor, *others: Tensor) -> int:
    """The element size, once x has one of the allowed dtypes and the others share it."""
    if x.dtype not in allowed:
        raise TinygenError(f"{op.describe()}: {x.describe()} is {x.dtype}; supported here: {', '.join(allowed)}")
    for t in others:
        if t.dtype != x.dtype:
            raise TinygenError(f"{op.describe()}: {t.describe()} is {t.dtype}, {x.describe()} is {x.dtype}")
    return np.dtype(x.dtype).itemsize


def strides(shape: Sequence[int], itemsize: int) -> list[int]:
    """Byte strides of a contiguous tensor."""
    return [int(np.prod(shape[a + 1:], dtype=np.int64)) * itemsize for a in range(len(shape))]


def gather_call(op: Op, tables: list[Sequence[int]], block_bytes: int, x: Tensor, out: Tensor) -> Call:
    """tables[a][i]: the input byte offset that index i along output axis a adds."""
    if len(tables) > MAX_AXES:
        raise TinygenError(f"{op.describe()}: the copy needs {len(tables)} axes, above the supported {MAX_AXES}")
    tables = [[0]] * (MAX_AXES - len(tables)) + [list(t) for t in tables]
    params = GATHER_PARAMS({
        "dims": [len(t) for t in tables],
        "offsets": Array(np.array([v for t in tables for v in t], np.int32), "int32_t"),
        "block_bytes": block_bytes,
    })
    return Call("gather", "tg_gather", [params, x, out])


@define("GATHER", options=(("axis", "i", 0), ("batch_dims", "i", 0)),
        evaluate=exact(lambda op, x, indices: np.take(x, indices, axis=op.options["axis"] % x.ndim)),
        operands=Signature((ANY, Operand(dtypes=INDICES, constant=True))))
def lower_gather(op: Op) -> Call:
    x, indices, out = op.inputs[0], op.inputs[1], op.outputs[0]
    itemsize = element_bytes(op, ("int8", "float32"), x, out)
    if indices.dtype != "int32" or not indices.is_const:
        raise TinygenError(f"{op.describe()}: the indices must be a constant int32 tensor")
    rank = len(x.shape)
    axis, batch_dims = op.options["axis"], op.options["batch_dims"]
    if not -rank <= axis < rank:
        raise TinygenError(f"{op.describe()}: axis {axis} is out of range for rank {rank}")
    if batch_dims + (len(indices.shape) if batch_dims < 0 else 0) != 0:
        raise TinygenError(f"{op.describe()}: batch_dims {batch_dims} is not supported (only 0)")
    axis %= rank
    positions = indices.data.ravel().astype(np.int64)
    if positions.size and not (0 <= positions.min() and positions.max() < x.shape[axis]):
        raise TinygenError(f"{op.describe()}: indices {positions.min()}..{positions.max()} are outside "
                           f"0..{x.shape[axis] - 1}")
    expected = tuple(x.shape[:axis]) + tuple(indices.shape) + tuple(x.shape[axis + 1:])
    if tuple(out.shape) != expected:
        raise TinygenError(f"{op.describe()}: output shape {out.shape} is not the gathered shape {expected}")
    step = strides(x.shape, itemsize)[axis]
    outer = int(np.prod(x.shape[:axis], dtype=np.int64))
    tables = [np.arange(outer) * step * x.shape[axis], positions * step]
    return gather_call(op, tables, step, x, out)
