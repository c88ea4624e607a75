"""Shape inference: compute each op's output shape from its inputs and options (OpDef.output_shape),
and check the file.

A model whose stored shapes disagree with what its ops compute would make kernels read or write
out of bounds, so a mismatch is an error rather than something to trust.
"""
from __future__ import annotations

from tinygen.errors import TinygenError
from tinygen.ir import Graph
from tinygen.ops import definition


def check_shapes(graph: Graph) -> None:
    for op in graph.ops:
        defined = definition(op.kind)
        infer = defined and defined.output_shape
        if infer is None:
            continue
        try:
            expected = infer(op)
        except (ValueError, IndexError, KeyError, TypeError):
            raise TinygenError(f"{op.describe()}: input shapes {[t.shape for t in op.inputs if t is not None]} "
                               "do not fit this op") from None
        stored = op.outputs[0].shape
        if expected is not None and tuple(expected) != tuple(stored):
            raise TinygenError(f"{op.describe()}: the model says output shape {stored}, the op computes {tuple(expected)}")
