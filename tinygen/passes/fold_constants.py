"""Evaluate at generation time every op whose result does not depend on the model input (with
its OpDef.evaluate: exact integer arithmetic only; quantized math stays with the kernels).

Keras emits SHAPE -> STRIDED_SLICE -> PACK -> RESHAPE before a flatten; with static shapes the
whole chain is a constant, and the RESHAPE is left with a constant target shape.
"""
from __future__ import annotations

import numpy as np

from tinygen.ir import Graph
from tinygen.ops import definition


def fold_constants(graph: Graph) -> None:
    changed = True
    while changed:
        changed = False
        for op in list(graph.ops):
            defined = definition(op.kind)
            value = defined.evaluate(op) if defined and defined.evaluate and len(op.outputs) == 1 else None
            if value is None:
                continue
            out = op.outputs[0]
            out.data = np.asarray(value, dtype=out.dtype).reshape(out.shape)
            graph.ops.remove(op)
            changed = True
    _drop_dead_ops(graph)


def _drop_dead_ops(graph: Graph) -> None:
    """Ops left computing only what nothing reads (e.g. a SHAPE whose result was folded)."""
    needed = {id(t) for t in graph.outputs}
    for op in reversed(list(graph.ops)):
        if any(id(t) in needed for t in op.outputs):
            needed.update(id(t) for t in op.inputs if t is not None)
        else:
            graph.ops.remove(op)
