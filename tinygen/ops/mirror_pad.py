"""MIRROR_PAD (REFLECT and SYMMETRIC, constant paddings): a table-driven block copy.

Each output coordinate along an axis reads one input coordinate, so the per-axis tables hold
the mirrored source positions; trailing unpadded axes are copied as one block.
"""
from __future__ import annotations

import numpy as np

from tinygen.errors import TinygenError
from tinygen.ir import Op
from tinygen.ops import define
from tinygen.ops.gather import element_bytes, gather_call, strides
from tinygen.ops.operands import ANY, PAIRS, Signature


def mirror_source(index: int, before: int, size: int, reflect: bool) -> int:
    """The input coordinate an output coordinate copies; REFLECT leaves out the edge element,
    SYMMETRIC repeats it."""
    edge = 1 if reflect else 0
    if index < before:
        return before - 1 - index + edge
    index -= before
    return index if index < size else 2 * size - 1 - edge - index


@define("MIRROR_PAD", options=(("mode", "b", 0),), operands=Signature((ANY, PAIRS)))
def lower_mirror_pad(op: Op):
    x, paddings, out = op.inputs[0], op.inputs[1], op.outputs[0]
    itemsize = element_bytes(op, ("int8", "float32"), x, out)
    rank = len(x.shape)
    if not paddings.is_const or paddings.dtype not in ("int32", "int64") or paddings.shape != (rank, 2):
        raise TinygenError(f"{op.describe()}: paddings must be a constant int32 or int64 {rank}x2 tensor")
    mode = op.options["mode"]  # REFLECT or SYMMETRIC (the verifier knows the enum)
    reflect = mode == "REFLECT"
    pads = paddings.data.astype(np.int64)
    # TF's limits; beyond them TFLM's index arithmetic reads outside the input.
    limit = np.array(x.shape) - (1 if reflect else 0)
    if (pads < 0).any() or (pads > limit[:, None]).any():
        raise TinygenError(f"{op.describe()}: {mode} paddings {pads.tolist()} must lie in 0..{limit.tolist()} per axis")
    if tuple(out.shape) != tuple(int(d) for d in np.array(x.shape) + pads.sum(axis=1)):
        raise TinygenError(f"{op.describe()}: output shape {out.shape} is not {x.shape} padded by {pads.tolist()}")
    padded_axes = [a for a in range(rank) if pads[a].any()]
    kept = padded_axes[-1] + 1 if padded_axes else 0
    steps = strides(x.shape, itemsize)
    tables = [[mirror_source(i, int(pads[a, 0]), x.shape[a], reflect) * steps[a] for i in range(out.shape[a])]
              for a in range(kept)]
    block = int(np.prod(x.shape[kept:], dtype=np.int64)) * itemsize
    return gather_call(op, tables, block, x, out)
