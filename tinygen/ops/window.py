"""Geometry shared by sliding-window ops (convolutions and pools): TFLM's padding rule."""
from __future__ import annotations

from tinygen.ir import Op


def _leading_pad(size: int, out: int, kernel: int, stride: int, dilation: int) -> int:
    effective = (kernel - 1) * dilation + 1
    return max(0, (out - 1) * stride + effective - size) // 2


def window_padding(op: Op, kernel_h: int, kernel_w: int, dilation_h: int = 1, dilation_w: int = 1) -> tuple[int, int]:
    """(pad_top, pad_left) for a 4-D NHWC window op, including any PAD folded into it.

    A tile of patch-based inference carries its own origin: the padding that puts its first
    output pixel's window where it lies in the tile's input buffer (negative inside the image).
    """
    if "window_origin" in op.options:
        return op.options["window_origin"]
    _, in_h, in_w, _ = op.inputs[0].shape
    _, out_h, out_w, _ = op.outputs[0].shape
    top, bottom, left, right = op.options.get("explicit_padding", (0, 0, 0, 0))
    pad_h = _leading_pad(in_h + top + bottom, out_h, kernel_h, op.options["stride_h"], dilation_h)
    pad_w = _leading_pad(in_w + left + right, out_w, kernel_w, op.options["stride_w"], dilation_w)
    return top + pad_h, left + pad_w
