"""Numpy broadcasting for binary kernels: the walk over the output (tg_broadcast.h) and which
operand an output may overwrite."""
from __future__ import annotations

from tinygen.ir import Op, Tensor
from tinygen.ops import Record, Struct
from tinygen.ops.inplace import elementwise_inplace

BROADCAST_WALK = Record("tg_broadcast_walk", """
    int32_t rank;
    int32_t shape[TG_BROADCAST_MAX_RANK], a_stride[TG_BROADCAST_MAX_RANK],
        b_stride[TG_BROADCAST_MAX_RANK];
""")


def broadcast_walk(out_shape, a_shape, b_shape) -> tuple[list[int], list[int], list[int]]:
    """The output as few dims as possible, with each input's element stride along them (0 where
    it broadcasts). Size-1 dims are dropped and a dim is merged into the one outside it when both
    inputs continue contiguously across the boundary."""
    rank = len(out_shape)
    a_shape = (1,) * (rank - len(a_shape)) + tuple(a_shape)
    b_shape = (1,) * (rank - len(b_shape)) + tuple(b_shape)
    dims = []  # innermost first: [size, a stride, b stride]
    a_step, b_step = 1, 1
    for n, a_n, b_n in reversed(list(zip(out_shape, a_shape, b_shape))):
        if n != 1:
            dims.append([n, a_step if a_n == n else 0, b_step if b_n == n else 0])
        a_step *= a_n
        b_step *= b_n
    merged: list[list[int]] = []
    for n, a_stride, b_stride in dims:
        if merged:
            inner = merged[-1]
            if a_stride == inner[1] * inner[0] and b_stride == inner[2] * inner[0]:
                inner[0] *= n
                continue
        merged.append([n, a_stride, b_stride])
    merged = merged[::-1] or [[1, 0, 0]]
    return [d[0] for d in merged], [d[1] for d in merged], [d[2] for d in merged]


def walk_struct(a: Tensor, b: Tensor, out: Tensor) -> Struct:
    shape, a_strides, b_strides = broadcast_walk(out.shape, a.shape, b.shape)
    return BROADCAST_WALK({"rank": len(shape), "shape": shape, "a_stride": a_strides,
                                        "b_stride": b_strides})


def binary_inplace(a: Tensor, b: Tensor, out: Tensor) -> list:
    """Only an operand with the output's own shape is read in step with the writes."""
    return [pair for t in (a, b) if tuple(t.shape) == tuple(out.shape) for pair in elementwise_inplace(t, out)]


def strided_walk(shape: list[int], a_strides: list[int], b_strides: list[int]) -> Struct:
    """A walk over a dense output whose operands are read with strides of their own (regions of
    larger buffers, in a patch tile), with dims merged where both operands continue contiguously."""
    dims: list[list[int]] = []
    for n, sa, sb in reversed(list(zip(shape, a_strides, b_strides))):
        if dims and sa == dims[-1][1] * dims[-1][0] and sb == dims[-1][2] * dims[-1][0]:
            dims[-1][0] *= n
        else:
            dims.append([n, sa, sb])
    dims = dims[::-1]
    return BROADCAST_WALK({"rank": len(dims), "shape": [d[0] for d in dims],
                                        "a_stride": [d[1] for d in dims], "b_stride": [d[2] for d in dims]})


def views(op: Op) -> list | None:
    """A tile op's operands as regions of larger buffers: per input (buffer tensor, byte offset of
    the region's first element, elements between the region's rows), from op.options."""
    return op.options.get("input_views")
