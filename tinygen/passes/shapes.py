"""Shape inference: compute each op's output shape from its inputs and options, and check the file.

A model whose stored shapes disagree with what its ops compute would make kernels read or write
out of bounds, so a mismatch is an error rather than something to trust.
"""
from __future__ import annotations

import numpy as np

from tinygen.errors import TinygenError
from tinygen.ir import Graph, Op


def conv_output_size(size: int, kernel: int, stride: int, dilation: int, padding: str) -> int:
    effective = (kernel - 1) * dilation + 1
    if padding == "SAME":
        return (size + stride - 1) // stride
    return (size - effective + stride) // stride


def _padded(op: Op, h: int, w: int) -> tuple[int, int]:
    top, bottom, left, right = op.options.get("explicit_padding", (0, 0, 0, 0))
    return h + top + bottom, w + left + right


def _conv(op: Op):
    n, h, w, _ = op.inputs[0].shape
    h, w = _padded(op, h, w)
    kh, kw = op.inputs[1].shape[1:3]
    o = op.options
    oh = conv_output_size(h, kh, o["stride_h"], o["dilation_h"], o["padding"])
    ow = conv_output_size(w, kw, o["stride_w"], o["dilation_w"], o["padding"])
    channels = op.inputs[1].shape[0] if op.kind == "CONV_2D" else op.inputs[1].shape[3]
    return n, oh, ow, channels


def _pool(op: Op):
    n, h, w, c = op.inputs[0].shape
    o = op.options
    return (n, conv_output_size(h, o["filter_height"], o["stride_h"], 1, o["padding"]),
            conv_output_size(w, o["filter_width"], o["stride_w"], 1, o["padding"]), c)


def _broadcast(op: Op):
    return tuple(np.broadcast_shapes(op.inputs[0].shape, op.inputs[1].shape))


def _fully_connected(op: Op):
    x, w = op.inputs[0], op.inputs[1]
    units = w.shape[0]
    if op.options.get("keep_num_dims"):
        return tuple(x.shape[:-1]) + (units,)
    return x.size // w.shape[1], units


def _concat(op: Op):
    axis = op.options["axis"] % len(op.inputs[0].shape)
    shape = list(op.inputs[0].shape)
    shape[axis] = sum(t.shape[axis] for t in op.inputs)
    return tuple(shape)


def _pad(op: Op):
    paddings = op.inputs[1]
    if not paddings.is_const:
        return None
    return tuple(int(d + a + b) for d, (a, b) in zip(op.inputs[0].shape, paddings.data.reshape(-1, 2)))


def _transpose(op: Op):
    perm = op.inputs[1]
    return None if not perm.is_const else tuple(op.inputs[0].shape[int(p)] for p in perm.data)


def _same_as_input(op: Op):
    return op.inputs[0].shape


def _same_size(op: Op):
    """Reshape-like ops: any shape with the same number of elements."""
    return op.outputs[0].shape if op.outputs[0].size == op.inputs[0].size else ("size", op.inputs[0].size)


INFER = {
    "CONV_2D": _conv, "DEPTHWISE_CONV_2D": _conv,
    "AVERAGE_POOL_2D": _pool, "MAX_POOL_2D": _pool,
    "ADD": _broadcast, "SUB": _broadcast, "MUL": _broadcast,
    "FULLY_CONNECTED": _fully_connected,
    "CONCATENATION": _concat,
    "PAD": _pad, "PADV2": _pad,
    "TRANSPOSE": _transpose,
    "RESHAPE": _same_size, "SQUEEZE": _same_size, "EXPAND_DIMS": _same_size,
    **{k: _same_as_input for k in ("SOFTMAX", "LOGISTIC", "TANH", "HARD_SWISH", "RELU", "RELU6",
                                   "RELU_N1_TO_1", "LEAKY_RELU", "QUANTIZE", "DEQUANTIZE")},
}


def check_shapes(graph: Graph) -> None:
    for op in graph.ops:
        infer = INFER.get(op.kind)
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
