"""How far an op's output may overlap the input it consumes, given the order its kernel runs in.

With d = output_start - input_start (bytes), a kernel writing its output front to back never
overwrites an input byte it has yet to read when d <= `forward`; a kernel that can also run back
to front (last output pixel first) is safe when d >= `backward`. The memory planner may place a
dying input and the output at any such d, which takes models below "input + output"; the
direction is then chosen from the offsets it picked.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from tinygen.ir import Tensor


@dataclass
class InPlace:
    input: Tensor
    forward: int | None  # largest safe d when running front to back
    backward: int | None = None  # smallest safe d when running back to front (None: cannot)


def elementwise_inplace(input: Tensor, output: Tensor) -> list[InPlace]:
    """Output element i is written after input element i is read, and nothing before i is read again."""
    if not input.is_const and input.size == output.size and input.nbytes == output.nbytes:
        return [InPlace(input, 0)]
    return []


def window_inplace(input: Tensor, output: Tensor, stride_h: int, stride_w: int, pad_top: int, pad_left: int,
                   kernel_h: int, kernel_w: int, dilation_h: int = 1, dilation_w: int = 1,
                   block: int = 1) -> list[InPlace]:
    """For a sliding-window op (conv, depthwise conv, pool) that writes whole output pixels in
    raster order, or in reverse raster order, `block` consecutive pixels at a time (all their
    windows read before any of them is written).

    Front to back, pixel (y, x) and every later pixel read nothing before row
    max(0, y*stride_h - pad_top), column max(0, x*stride_w - pad_left) -- except the next output
    row, which may start from column 0. Back to front, pixel (y, x) and every earlier pixel read
    nothing after the last tap of (y, x) -- except the previous row, which may reach its last column.
    Input and output elements have one size (int8, or int16 for 16x8 kernels); bounds are in bytes.
    """
    item = input.nbytes // max(input.size, 1)
    if input.is_const or input.shape[0] != 1 or output.nbytes != output.size * item:
        return []
    slack, reach = _window_slack(tuple(input.shape), tuple(output.shape), stride_h, stride_w, pad_top, pad_left,
                                 kernel_h, kernel_w, dilation_h, dilation_w, block)
    return [InPlace(input, slack * item, reach * item)]


@functools.lru_cache(maxsize=4096)
def _window_slack(in_shape, out_shape, stride_h, stride_w, pad_top, pad_left, kernel_h, kernel_w, dilation_h,
                  dilation_w, block) -> tuple[int, int]:
    """(forward, backward) of window_inplace; the tiles of a patch stage share a few shapes."""
    _, in_h, in_w, in_c = in_shape
    _, out_h, out_w, out_c = out_shape
    ys, xs = np.arange(out_h)[:, None], np.arange(out_w)[None, :]
    row0 = np.clip(ys * stride_h - pad_top, 0, in_h - 1)
    col0 = np.clip(xs * stride_w - pad_left, 0, in_w - 1)
    row1 = np.clip(ys * stride_h - pad_top + (kernel_h - 1) * dilation_h, 0, in_h - 1)
    col1 = np.clip(xs * stride_w - pad_left + (kernel_w - 1) * dilation_w, 0, in_w - 1)
    first = row0 * in_w + col0  # first input pixel each output pixel reads
    last = row1 * in_w + col1  # last one
    next_row_start = np.append(row0[1:, 0] * in_w, in_h * in_w)[:, None]
    previous_row_end = np.insert(last[:-1, -1], 0, 0)[:, None]
    pixels = out_h * out_w
    pixel = (ys * out_w + xs).ravel()
    needed_from = np.minimum(first, next_row_start).ravel()
    needed_to = np.maximum(last, previous_row_end).ravel()
    # A block is written once all of its windows are read: its writes reach to its last pixel,
    # and run back to front, its first write starts at its first pixel.
    block_end = np.minimum((pixel // block + 1) * block, pixels)
    block_start = pixel // block * block
    slack = needed_from * in_c - block_end * out_c
    reach = (np.maximum.accumulate(needed_to)[np.minimum(block_end, pixels) - 1] + 1) * in_c - block_start * out_c
    return int(slack.min()), int(reach.max())
