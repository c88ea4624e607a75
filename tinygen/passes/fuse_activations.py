"""Fold a standalone RELU/RELU6/RELU_N1_TO_1 into the clamp of the op that produces its input.

Exact when the activation does not requantize (same scale and zero point in and out): TFLM's
quantized RELU is then a clamp, and so is a fused activation.
"""
import numpy as np

from tinygen.ir import Graph
from tinygen.ops import definition

CLAMPS = {"RELU", "RELU6", "RELU_N1_TO_1"}


def _same_quant(a, b) -> bool:
    return (a.quant is not None and b.quant is not None and a.dtype == b.dtype
            and np.array_equal(a.quant.scale, b.quant.scale)
            and np.array_equal(a.quant.zero_point, b.quant.zero_point))


def fuse_activations(graph: Graph) -> None:
    for op in list(graph.ops):
        if op.kind not in CLAMPS:
            continue
        source = op.inputs[0]
        producer = graph.producer(source)
        if (producer is None or not (definition(producer.kind) and definition(producer.kind).takes_activation)
                or producer.options.get("activation") != "NONE"
                or len(graph.consumers(source)) != 1 or graph.is_boundary(source)
                or not _same_quant(source, op.outputs[0])):
            continue
        producer.options["activation"] = op.kind
        producer.outputs[0] = op.outputs[0]
        graph.ops.remove(op)
