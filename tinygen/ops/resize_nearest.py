"""RESIZE_NEAREST_NEIGHBOR (int8 NHWC, constant size): source rows and columns chosen now.

TFLM picks each source index with float32 arithmetic at run time; doing the same arithmetic
here in float32 gives the same indices, so the kernel only copies pixels through two tables.
"""
from __future__ import annotations

import math

import numpy as np

from tinygen.errors import TinygenError
from tinygen.ir import Op
from tinygen.ops import Array, Call, Record, define
from tinygen.ops.operands import IMAGE, Operand, Signature
from tinygen.quant import require_int8, round_half_away

RESIZE_NEAREST_PARAMS = Record("tg_resize_nearest_params", """
    int32_t batches, in_h, in_w, channels, out_h, out_w;
    const int32_t *source_y, *source_x;
""")


def nearest_indices(in_size: int, out_size: int, align_corners: bool, half_pixel_centers: bool) -> np.ndarray:
    """The source index of each output index along one axis, TFLM's GetNearestNeighbor."""
    f32 = np.float32
    if align_corners and out_size > 1:
        scale = f32(in_size - 1) / f32(out_size - 1)
    else:
        scale = f32(in_size) / f32(out_size)
    offset = f32(0.5 if half_pixel_centers else 0.0)
    indices = []
    for i in range(out_size):
        position = float((f32(i) + offset) * scale)
        index = min(round_half_away(position) if align_corners else math.floor(position), in_size - 1)
        indices.append(max(index, 0) if half_pixel_centers else index)
    return np.array(indices, np.int32)


def checked_size(op: Op) -> tuple[int, int]:
    """The constant (height, width) a RESIZE_* op produces, checked against its tensors."""
    x, size, out = op.inputs[0], op.inputs[1], op.outputs[0]
    require_int8(op, x, out)
    if len(x.shape) != 4:
        raise TinygenError(f"{op.describe()}: input must be 4-D NHWC, got {x.shape}")
    if size is None or not size.is_const or size.dtype != "int32" or size.shape != (2,):
        raise TinygenError(f"{op.describe()}: the size must be a constant int32 tensor of 2 values")
    out_h, out_w = (int(v) for v in size.data)
    if min(out_h, out_w) < 1 or tuple(out.shape) != (x.shape[0], out_h, out_w, x.shape[3]):
        raise TinygenError(f"{op.describe()}: output shape {out.shape} does not match size {[out_h, out_w]}")
    return out_h, out_w


@define("RESIZE_NEAREST_NEIGHBOR", options=(("align_corners", "?", False), ("half_pixel_centers", "?", False)),
        operands=Signature((IMAGE, Operand(ranks=(1,), dtypes=("int32",), constant=True)), output_ranks=(4,)))
def lower_resize_nearest(op: Op) -> Call:
    x, out = op.inputs[0], op.outputs[0]
    out_h, out_w = checked_size(op)
    corners, half = bool(op.options["align_corners"]), bool(op.options["half_pixel_centers"])
    params = RESIZE_NEAREST_PARAMS({
        "batches": x.shape[0], "in_h": x.shape[1], "in_w": x.shape[2], "channels": x.shape[3],
        "out_h": out_h, "out_w": out_w,
        "source_y": Array(nearest_indices(x.shape[1], out_h, corners, half), "int32_t"),
        "source_x": Array(nearest_indices(x.shape[2], out_w, corners, half), "int32_t"),
    })
    return Call("resize_nearest", "tg_resize_nearest_s8", [params, x, out])
