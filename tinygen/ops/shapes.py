"""Output shapes that several ops compute alike, for OpDef.output_shape, and the check of a
stored shape against them (by the model verifier, and again after constant folding by
passes/shapes.py): a model whose stored shapes disagree with its ops would make kernels read or
write out of bounds. A shape function may assume the operands its op declares (OpDef.operands)
and refuses, with a TinygenError naming the op, inputs that do not fit together."""
from __future__ import annotations

import numpy as np

from tinygen.errors import TinygenError
from tinygen.ir import Op


def refuse(op: Op, problem: str) -> TinygenError:
    return TinygenError(f"{op.describe()}: {problem}")


def check_output_shape(op: Op) -> None:
    from tinygen.ops import definition

    infer = definition(op.kind).output_shape
    expected = None if infer is None else infer(op)
    stored = op.outputs[0].shape
    if expected is not None and tuple(expected) != tuple(stored):
        raise refuse(op, f"the model says output shape {stored}, the op computes {tuple(expected)}")


def same_as_input(op: Op):
    return op.inputs[0].shape


def same_size(op: Op):
    """Reshape-like ops: any shape with the same number of elements."""
    return op.outputs[0].shape if op.outputs[0].size == op.inputs[0].size else ("size", op.inputs[0].size)


def broadcast(op: Op):
    a, b = op.inputs[0].shape, op.inputs[1].shape
    try:
        return tuple(np.broadcast_shapes(a, b))
    except ValueError:
        raise refuse(op, f"shapes {a} and {b} do not broadcast") from None


def window_output_size(size: int, kernel: int, stride: int, dilation: int, padding: str) -> int:
    effective = (kernel - 1) * dilation + 1
    if padding == "SAME":
        return (size + stride - 1) // stride
    return (size - effective + stride) // stride
