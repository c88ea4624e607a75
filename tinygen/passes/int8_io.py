"""--io int8: the program reads and writes int8, without the model's boundary QUANTIZE/DEQUANTIZE.

A model converted with float32 or uint8 inputs starts with a QUANTIZE to int8 and ends with a
DEQUANTIZE (or a QUANTIZE back to uint8). With --io int8 the caller writes the int8 tensor the
QUANTIZE would have made and reads the int8 tensor the DEQUANTIZE would have read: the ops go,
and so do the wider buffers. The ops dropped stay on the graph (`Graph.dropped_io`, keyed by the
int8 tensor that replaces the model's) so that a check against the original model can convert
values exactly as they would have.
"""
from __future__ import annotations

import numpy as np

from tinygen.errors import TinygenError
from tinygen.ir import Graph, Op, Tensor
from tinygen.ops.quantize import evaluate_boundary

IO_MODES = ("model", "int8")


def _per_tensor_int8(t: Tensor) -> bool:
    return t.dtype == "int8" and t.quant is not None and not t.quant.per_channel


def drop_boundary_quantization(graph: Graph) -> None:
    for i, t in enumerate(graph.inputs):
        if t.dtype == "int8":
            continue
        readers = graph.consumers(t)
        op = readers[0] if len(readers) == 1 else None
        if op is None or op.kind != "QUANTIZE" or not _per_tensor_int8(op.outputs[0]) or graph.is_boundary(op.outputs[0]):
            raise TinygenError(f"--io int8: input {t.describe()} ({t.dtype}) is not read by one QUANTIZE to int8 "
                               "alone; use --io model")
        _drop(graph, op, op.outputs[0])
        graph.inputs[i] = op.outputs[0]
    for i, t in enumerate(graph.outputs):
        if t.dtype == "int8":
            continue
        op = graph.producer(t)
        if op is None or op.kind not in ("DEQUANTIZE", "QUANTIZE") or not _per_tensor_int8(op.inputs[0]):
            raise TinygenError(f"--io int8: output {t.describe()} ({t.dtype}) is not made by a DEQUANTIZE or "
                               "QUANTIZE of an int8 tensor; use --io model")
        _drop(graph, op, op.inputs[0])
        graph.outputs[i] = op.inputs[0]


def _drop(graph: Graph, op: Op, replacement: Tensor) -> None:
    graph.ops.remove(op)
    graph.dropped_io[id(replacement)] = op


def model_tensor(graph: Graph, t: Tensor) -> Tensor:
    """The model's own input or output behind a program's input or output."""
    op = graph.dropped_io.get(id(t))
    if op is None:
        return t
    return op.inputs[0] if op.outputs[0] is t else op.outputs[0]


def model_inputs(graph: Graph) -> list[Tensor]:
    return [model_tensor(graph, t) for t in graph.inputs]


def model_outputs(graph: Graph) -> list[Tensor]:
    return [model_tensor(graph, t) for t in graph.outputs]


def to_program_inputs(graph: Graph, sample: list[np.ndarray]) -> list[np.ndarray]:
    """A sample of the model's inputs as the program takes it: through each dropped QUANTIZE."""
    return [evaluate_boundary(graph.dropped_io[id(t)], x) if id(t) in graph.dropped_io else x
            for t, x in zip(graph.inputs, sample)]


def to_model_outputs(graph: Graph, outputs: list[np.ndarray]) -> list[np.ndarray]:
    """The program's outputs as the model gives them: through each dropped DEQUANTIZE/QUANTIZE."""
    return [evaluate_boundary(graph.dropped_io[id(t)], y) if id(t) in graph.dropped_io else y
            for t, y in zip(graph.outputs, outputs)]
