"""How an op runs on a patch tile (OpDef.tiling, read by tinygen.patch), or None where it cannot:

- "window": reads a region of its input through its sliding window (the tile's own padding);
- "pad": a spatial PAD, its frame filled on the tile;
- "pointwise": one activation input, computed over its whole tile buffer (any other operand a
  constant that is the same at every pixel);
- "strided": reads the regions it needs of larger buffers through views (the input QUANTIZE,
  ADD/SUB/MUL of two activations, channel CONCATENATION).
Every activation must be 4-D with one batch, and the output int8.
"""
from __future__ import annotations

import numpy as np

from tinygen.ir import Op, Tensor


def _nhwc(t: Tensor | None) -> bool:
    return t is not None and len(t.shape) == 4 and t.shape[0] == 1


def activations(op: Op) -> list[Tensor]:
    return [t for t in op.inputs if t is not None and not t.is_const]


def _int8_nhwc(op: Op, *allowed_inputs: str) -> bool:
    out = op.outputs[0] if len(op.outputs) == 1 else None
    reads = activations(op)
    return (_nhwc(out) and out.dtype == "int8" and all(_nhwc(t) for t in reads)
            and all(t.dtype in (allowed_inputs or ("int8",)) for t in reads))


def window(op: Op) -> str | None:
    return "window" if _int8_nhwc(op) and activations(op) == [op.inputs[0]] else None


def spatial_pads(op: Op) -> tuple[int, int, int, int] | None:
    """(top, bottom, left, right) of a PAD that pads rows and columns only, else None."""
    paddings = op.input(1)
    if paddings is None or not paddings.is_const or paddings.data.size != 8:
        return None
    p = paddings.data.astype(np.int64).reshape(4, 2)
    if p[0].any() or p[3].any() or (p < 0).any():
        return None
    return int(p[1, 0]), int(p[1, 1]), int(p[2, 0]), int(p[2, 1])


def pad(op: Op) -> str | None:
    return "pad" if window(op) and spatial_pads(op) is not None else None


def pointwise(op: Op) -> str | None:
    return "pointwise" if _int8_nhwc(op) and activations(op) == [op.inputs[0]] else None


def quantize(op: Op) -> str | None:
    ok = _int8_nhwc(op, "int8", "uint8", "float32") and activations(op) == [op.inputs[0]]
    return "strided" if ok else None


def _per_channel(t: Tensor, out: Tensor) -> bool:
    """A constant that is the same at every pixel (shape [C], [1, 1, 1, C] and the like)."""
    shape = (1,) * (4 - len(t.shape)) + tuple(t.shape)
    return len(t.shape) <= 4 and shape[:3] == (1, 1, 1) and shape[3] in (1, out.shape[3])


def binary(op: Op) -> str | None:
    if not _int8_nhwc(op) or len(op.inputs) != 2:
        return None
    out, reads = op.outputs[0], activations(op)
    if len(reads) == 2:
        return "strided" if all(tuple(t.shape) == tuple(out.shape) for t in reads) else None
    constant = next(t for t in op.inputs if t is not None and t.is_const)
    return "pointwise" if len(reads) == 1 and _per_channel(constant, out) else None


def concatenation(op: Op) -> str | None:
    channels = op.options.get("axis") in (3, -1) and op.options.get("activation", "NONE") == "NONE"
    return "strided" if _int8_nhwc(op) and channels and len(activations(op)) == len(op.inputs) else None
