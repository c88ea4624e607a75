"""Evaluate at generation time every op whose result does not depend on the model input.

Keras emits SHAPE -> STRIDED_SLICE -> PACK -> RESHAPE before a flatten; with static shapes the
whole chain is a constant, and the RESHAPE is left with a constant target shape.
"""
from __future__ import annotations

import numpy as np

from tinygen.ir import Graph, Op
from tinygen.ops.strided_slice import resolve_slice


def _strided_slice(op: Op, x: np.ndarray) -> np.ndarray:
    begin, end, strides = (op.inputs[i].data for i in (1, 2, 3))
    spec = resolve_slice(x.shape, begin, end, strides, op.options)
    sliced = x[tuple(slice(a, (b if b >= 0 else None), s) for a, b, s in zip(spec.starts, spec.stops, spec.steps))]
    return sliced.reshape(spec.output_shape)


def _concat(op: Op, *xs) -> np.ndarray:
    return np.concatenate(xs, axis=op.options["axis"] % xs[0].ndim)


EVALUATORS = {
    "RESHAPE": lambda op, x, *_: x.reshape(op.outputs[0].shape),
    "SQUEEZE": lambda op, x: x.reshape(op.outputs[0].shape),
    "EXPAND_DIMS": lambda op, x, _: x.reshape(op.outputs[0].shape),
    "STRIDED_SLICE": lambda op, x, *_: _strided_slice(op, x),
    "PACK": lambda op, *xs: np.stack(xs, axis=op.options["axis"] % (xs[0].ndim + 1)),
    "CONCATENATION": _concat,
    "CAST": lambda op, x: x.astype(op.outputs[0].dtype),
    "GATHER": lambda op, x, idx: np.take(x, idx, axis=op.options["axis"] % x.ndim),
    "ADD": lambda op, a, b: a + b,
    "SUB": lambda op, a, b: a - b,
    "MUL": lambda op, a, b: a * b,
}
# Only exact integer arithmetic is folded; quantized math stays with the kernels.
FOLDABLE_DTYPES = {"int32", "int64"}


def _foldable(op: Op) -> bool:
    if op.kind == "SHAPE":
        return True
    if op.kind not in EVALUATORS or len(op.outputs) != 1:
        return False
    out = op.outputs[0]
    reshaping = op.kind in ("RESHAPE", "SQUEEZE", "EXPAND_DIMS")
    return (all(t is not None and t.is_const for t in op.inputs[:1 if reshaping else None])
            and (out.dtype in FOLDABLE_DTYPES or reshaping))


def fold_constants(graph: Graph) -> None:
    changed = True
    while changed:
        changed = False
        for op in list(graph.ops):
            if not _foldable(op):
                continue
            out = op.outputs[0]
            if op.kind == "SHAPE":
                value = np.array(op.inputs[0].shape, dtype=out.dtype)
            else:
                value = EVALUATORS[op.kind](op, *[t.data for t in op.inputs if t is not None])
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
