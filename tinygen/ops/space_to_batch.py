"""DEPTH_TO_SPACE, SPACE_TO_DEPTH, BATCH_TO_SPACE_ND and SPACE_TO_BATCH_ND (int8 or float32).

The first three read every output block from an input offset that splits into one term per output
axis, so they are table-driven block copies (see ops/gather.py). SPACE_TO_BATCH_ND also pads, and
whether a pixel is padding depends on two axes at once, so it has its own kernel. Values move
unchanged, as in TFLM.
"""
from __future__ import annotations

import numpy as np

from tinygen.errors import TinygenError
from tinygen.ir import Op, Tensor
from tinygen.ops import Call, Record, define
from tinygen.ops.gather import element_bytes, gather_call
from tinygen.ops.operands import INDICES, VECTOR, IMAGE_TO_IMAGE, Operand, Signature

SPACE_TO_BATCH_PARAMS = Record("tg_space_to_batch_params", """
    int32_t in_batch, in_h, in_w, out_batch, out_h, out_w, block_h, block_w, pad_top, pad_left,
        pixel_bytes;
""")

TYPES = ("int8", "float32")


BLOCK_OPTIONS = (("block_size", "i", 0),)


def _block_size(op: Op, small: Tensor, large: Tensor) -> int:
    """The block_size option (TFLM derives the output shape from it), once the shapes fit it:
    `large` is `small` with height and width multiplied by it and depth divided by its square."""
    block = op.options["block_size"]
    n, h, w, c = small.shape
    if tuple(large.shape) != (n, h * block, w * block, c // (block * block)) or c % (block * block):
        raise TinygenError(f"{op.describe()}: shapes {op.inputs[0].shape} -> {op.outputs[0].shape} "
                           f"do not fit block_size {block}")
    return block


@define("DEPTH_TO_SPACE", options=BLOCK_OPTIONS, operands=IMAGE_TO_IMAGE)
def lower_depth_to_space(op: Op) -> Call:
    x, out = op.inputs[0], op.outputs[0]
    itemsize = element_bytes(op, TYPES, x, out)
    block = _block_size(op, x, out)
    n, h, w, c = x.shape
    # Output (n, y, by, x, [bx, depth]) reads input (n, y, x, [by, bx, depth]).
    tables = [np.arange(n) * h * w * c, np.arange(h) * w * c, np.arange(block) * block * out.shape[3],
              np.arange(w) * c]
    return gather_call(op, [t * itemsize for t in tables], block * out.shape[3] * itemsize, x, out)


@define("SPACE_TO_DEPTH", options=BLOCK_OPTIONS, operands=IMAGE_TO_IMAGE)
def lower_space_to_depth(op: Op) -> Call:
    x, out = op.inputs[0], op.outputs[0]
    itemsize = element_bytes(op, TYPES, x, out)
    block = _block_size(op, out, x)
    n, h, w, c = x.shape
    # Output (n, y, x, by, [bx, depth]) reads input (n, y * block + by, x * block + [bx, depth]).
    tables = [np.arange(n) * h * w * c, np.arange(h // block) * block * w * c, np.arange(w // block) * block * c,
              np.arange(block) * w * c]
    return gather_call(op, [t * itemsize for t in tables], block * c * itemsize, x, out)


def _spatial(op: Op, what: str) -> tuple[list[int], np.ndarray]:
    """Block shape and per-axis (before, after) amounts, extended to height and width: TFLM runs
    3-D tensors as NHWC with width 1."""
    x, block, amounts = op.inputs[0], op.inputs[1], op.inputs[2]
    if len(x.shape) not in (3, 4) or len(op.outputs[0].shape) != len(x.shape):
        raise TinygenError(f"{op.describe()}: TFLM supports 3-D and 4-D tensors only, got {x.shape}")
    spatial = len(x.shape) - 2
    if not (block.is_const and amounts.is_const and block.dtype == "int32" and amounts.dtype == "int32"):
        raise TinygenError(f"{op.describe()}: the block shape and {what} must be constant int32 tensors")
    if block.size != spatial or amounts.size != 2 * spatial:
        raise TinygenError(f"{op.describe()}: expected {spatial} block sizes and {spatial}x2 {what}")
    sizes = [int(v) for v in block.data.ravel()] + [1] * (2 - spatial)
    edges = np.concatenate([amounts.data.reshape(spatial, 2), np.zeros((2 - spatial, 2), np.int32)]).astype(np.int64)
    if min(sizes) < 1 or (edges < 0).any():
        raise TinygenError(f"{op.describe()}: block shape {sizes} and {what} {edges.tolist()} must be positive")
    return sizes, edges


def _as_nhwc(t: Tensor) -> tuple[int, int, int, int]:
    s = t.shape
    return (s[0], s[1], 1, s[2]) if len(s) == 3 else tuple(s)


@define("BATCH_TO_SPACE_ND", operands=Signature((Operand(ranks=(3, 4)), VECTOR, Operand(ranks=(2,), dtypes=INDICES, constant=True))))
def lower_batch_to_space(op: Op) -> Call:
    x, out = op.inputs[0], op.outputs[0]
    itemsize = element_bytes(op, TYPES, x, out)
    (bh, bw), crops = _spatial(op, "crops")
    batch, h, w, c = _as_nhwc(x)
    n = batch // (bh * bw)
    expected = (n, h * bh - int(crops[0].sum()), w * bw - int(crops[1].sum()), c)
    if batch % (bh * bw) or _as_nhwc(out) != expected:
        raise TinygenError(f"{op.describe()}: output shape {out.shape} does not fit input {x.shape}, "
                           f"block {[bh, bw]} and crops {crops.tolist()}")
    image = h * w * c
    # Input batch (sy * bw + sx) * n + i holds the pixels of image i at offset (sy, sx) in each block.
    ys, xs = np.arange(expected[1]) + crops[0, 0], np.arange(expected[2]) + crops[1, 0]
    tables = [np.arange(n) * image, (ys % bh) * bw * n * image + (ys // bh) * w * c,
              (xs % bw) * n * image + (xs // bw) * c]
    return gather_call(op, [t * itemsize for t in tables], c * itemsize, x, out)


@define("SPACE_TO_BATCH_ND", operands=Signature((Operand(ranks=(3, 4)), VECTOR, Operand(ranks=(2,), dtypes=INDICES, constant=True))))
def lower_space_to_batch(op: Op) -> Call:
    x, out = op.inputs[0], op.outputs[0]
    itemsize = element_bytes(op, TYPES, x, out)
    (bh, bw), pads = _spatial(op, "paddings")
    n, h, w, c = _as_nhwc(x)
    padded_h, padded_w = h + int(pads[0].sum()), w + int(pads[1].sum())
    expected = (n * bh * bw, padded_h // bh, padded_w // bw, c)
    if padded_h % bh or padded_w % bw or _as_nhwc(out) != expected:
        raise TinygenError(f"{op.describe()}: output shape {out.shape} does not fit input {x.shape}, "
                           f"block {[bh, bw]} and paddings {pads.tolist()}")
    params = SPACE_TO_BATCH_PARAMS({
        "in_batch": n, "in_h": h, "in_w": w, "out_batch": expected[0], "out_h": expected[1], "out_w": expected[2],
        "block_h": bh, "block_w": bw, "pad_top": int(pads[0, 0]), "pad_left": int(pads[1, 0]),
        "pixel_bytes": c * itemsize,
    })
    return Call("space_to_batch", "tg_space_to_batch", [params, x, out])
