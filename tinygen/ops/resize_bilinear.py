"""RESIZE_BILINEAR (int8 NHWC, constant size): TFLM's integer-only interpolation.

TFLM's int8 path works in 1/1024ths of a pixel with integer arithmetic only, so the source rows,
columns and weights it derives per output row and column are computed here, identically, and the
kernel only blends four pixels.
"""
from __future__ import annotations

import numpy as np

from tinygen.errors import TinygenError
from tinygen.ir import Op
from tinygen.ops import Array, Call, Record, define
from tinygen.ops.resize_nearest import checked_size
from tinygen.ops.operands import IMAGE, Operand, Signature

RESIZE_BILINEAR_PARAMS = Record("tg_resize_bilinear_params", """
    int32_t batches, image_size, channels, out_h, out_w;
    const int32_t *rows, *cols;
""")

ONE = 1 << 10  # the fixed-point unit: 1/1024th of a pixel


def _c_div(a: int, b: int) -> int:
    """C's integer division, truncating toward zero."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


def interpolation_table(in_size: int, out_size: int, align_corners: bool, half_pixel_centers: bool) -> np.ndarray:
    """Per output index: the lower and upper source index and their weights in 1/1024ths."""
    if align_corners and out_size > 1:
        scale = (ONE * (in_size - 1) + (out_size - 1) // 2) // (out_size - 1)
    else:
        scale = (ONE * in_size + out_size // 2) // out_size
    rows = []
    for i in range(out_size):
        position = i * scale + (scale // 2 - ONE // 2 if half_pixel_centers else 0)
        lower = max(_c_div(position, ONE), 0)
        upper = min(_c_div(position + ONE - 1, ONE), in_size - 1)
        fraction = position - lower * ONE
        rows.append((lower, upper, ONE - fraction, fraction))
    return np.array(rows, np.int64).reshape(out_size, 4)


def _offsets(op: Op, table: np.ndarray, in_size: int, stride: int, axis: str) -> np.ndarray:
    """The table with source indices scaled to element offsets."""
    if table[:, 0].max(initial=0) >= in_size:
        raise TinygenError(f"{op.describe()}: at this scale TFLM's rounded fixed-point {axis} positions run past "
                           "the input (it reads out of bounds), so there is no reference result")
    table = table.copy()
    table[:, :2] *= stride
    return table.astype(np.int32)


@define("RESIZE_BILINEAR", options=(("new_height", "i", 0), ("new_width", "i", 0), ("align_corners", "?", False),
                                        ("half_pixel_centers", "?", False)),
        operands=Signature((IMAGE, Operand(ranks=(1,), dtypes=("int32",), constant=True)), output_ranks=(4,)))
def lower_resize_bilinear(op: Op) -> Call:
    x, out = op.inputs[0], op.outputs[0]
    n, h, w, c = x.shape
    out_h, out_w = checked_size(op)
    corners, half = bool(op.options["align_corners"]), bool(op.options["half_pixel_centers"])
    if corners and half:
        raise TinygenError(f"{op.describe()}: align_corners with half_pixel_centers is refused by TFLM")
    params = RESIZE_BILINEAR_PARAMS({
        "batches": n, "image_size": h * w * c, "channels": c, "out_h": out_h, "out_w": out_w,
        "rows": Array(_offsets(op, interpolation_table(h, out_h, corners, half), h, w * c, "row"), "int32_t"),
        "cols": Array(_offsets(op, interpolation_table(w, out_w, corners, half), w, c, "column"), "int32_t"),
    })
    return Call("resize_bilinear", "tg_resize_bilinear_s8", [params, x, out], macs=out.size * 4)
