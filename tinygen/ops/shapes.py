"""Output shapes that several ops compute alike, for OpDef.output_shape (checked against the
file by passes/shapes.py: a model whose stored shapes disagree with its ops would make kernels
read or write out of bounds)."""
from __future__ import annotations

import numpy as np

from tinygen.ir import Op


def same_as_input(op: Op):
    return op.inputs[0].shape


def same_size(op: Op):
    """Reshape-like ops: any shape with the same number of elements."""
    return op.outputs[0].shape if op.outputs[0].size == op.inputs[0].size else ("size", op.inputs[0].size)


def broadcast(op: Op):
    return tuple(np.broadcast_shapes(op.inputs[0].shape, op.inputs[1].shape))


def window_output_size(size: int, kernel: int, stride: int, dilation: int, padding: str) -> int:
    effective = (kernel - 1) * dilation + 1
    if padding == "SAME":
        return (size + stride - 1) // stride
    return (size - effective + stride) // stride
