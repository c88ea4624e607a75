"""Fold an explicit spatial PAD/PADV2 into the CONV_2D or DEPTHWISE_CONV_2D that reads it.

Exact because TFLM's conv kernels treat out-of-bounds taps as the input zero point (real 0),
which is what a PAD writes when its value is the zero point. Pools are left alone: max and
average pooling skip out-of-bounds taps, which padding with zeros would change.
"""
import numpy as np

from tinygen.ir import Graph, Op
from tinygen.ops import definition


def _spatial_padding(pad: Op):
    paddings = pad.inputs[1]
    if paddings is None or not paddings.is_const or paddings.data.shape != (4, 2):
        return None
    p = paddings.data.astype(np.int64)
    if p[0].any() or p[3].any() or (p < 0).any():
        return None
    return int(p[1, 0]), int(p[1, 1]), int(p[2, 0]), int(p[2, 1])


def _pads_with_zero_point(pad: Op) -> bool:
    src, dst = pad.inputs[0], pad.outputs[0]
    if src.dtype != "int8" or src.quant is None or dst.quant is None:
        return False
    if src.quant.zp != dst.quant.zp or src.quant.s != dst.quant.s:
        return False
    value = pad.input(2)
    return value is None or (value.is_const and int(value.data.ravel()[0]) == dst.quant.zp)


def fold_pad(graph: Graph) -> None:
    for pad in list(graph.ops):
        if pad.kind not in ("PAD", "PADV2"):
            continue
        padded = pad.outputs[0]
        consumers = graph.consumers(padded)
        if len(consumers) != 1 or graph.is_boundary(padded):
            continue
        conv = consumers[0]
        spatial = _spatial_padding(pad)
        takes_padding = definition(conv.kind) is not None and definition(conv.kind).takes_padding
        if not takes_padding or conv.inputs[0] is not padded or spatial is None:
            continue
        if not _pads_with_zero_point(pad):
            continue
        previous = conv.options.get("explicit_padding", (0, 0, 0, 0))
        conv.options["explicit_padding"] = tuple(a + b for a, b in zip(previous, spatial))
        conv.inputs[0] = pad.inputs[0]
        graph.ops.remove(pad)
