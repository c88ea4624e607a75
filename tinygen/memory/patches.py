"""Geometry of patch-based inference: tiles of a stage's output and the input regions they need.

A region is (y0, y1, x0, x1), half-open, in a tensor's own rows and columns. Walking a tile
back through a stage's sliding windows (kernel, stride, dilation, padding), along every branch,
gives the region of every tensor the tile needs, halo included; neighbouring tiles' halos
overlap, and that overlap is computed twice (the MAC overhead of patch-based inference).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Hashable

Region = tuple[int, int, int, int]


@dataclass(frozen=True)
class Window:
    """One op's sliding window along (rows, columns); a pointwise op is a 1x1 window with stride 1."""
    in_size: tuple[int, int]
    kernel: tuple[int, int] = (1, 1)
    stride: tuple[int, int] = (1, 1)
    dilation: tuple[int, int] = (1, 1)
    pad: tuple[int, int] = (0, 0)  # leading padding (top, left)

    def input_interval(self, axis: int, lo: int, hi: int) -> tuple[int, int]:
        """The input rows (axis 0) or columns (axis 1) that outputs lo..hi-1 read, clipped to the
        input (empty where they read padding only)."""
        first = lo * self.stride[axis] - self.pad[axis]
        last = (hi - 1) * self.stride[axis] - self.pad[axis] + (self.kernel[axis] - 1) * self.dilation[axis]
        start = min(max(0, first), self.in_size[axis])
        return start, max(start, min(self.in_size[axis], last + 1))

    def input_region(self, out: Region) -> Region:
        return self.input_interval(0, out[0], out[1]) + self.input_interval(1, out[2], out[3])


def split(size: int, parts: int) -> list[tuple[int, int]]:
    edges = [round(i * size / parts) for i in range(parts + 1)]
    return [(a, b) for a, b in zip(edges, edges[1:]) if b > a]


def tiles(height: int, width: int, rows: int, cols: int | None = None) -> list[Region]:
    """A rows x cols grid (cols defaults to rows) over a height x width output, in raster order."""
    return [(y0, y1, x0, x1) for y0, y1 in split(height, rows) for x0, x1 in split(width, rows if cols is None else cols)]


def area(region: Region) -> int:
    return (region[1] - region[0]) * (region[3] - region[2])


Interval = tuple[int, int]


def needed_intervals(ops: list[tuple[Hashable, list[tuple[Hashable, Window]]]], output: Hashable, axis: int,
                     band: Interval) -> dict[Hashable, Interval]:
    """For a band of a sub-graph's output along one axis (0: rows, 1: columns), the interval of
    each value it needs along that axis. Regions are products of a row and a column interval, and
    each axis walks back on its own.

    `ops` are the sub-graph's ops in execution order, each as (the value it writes, [(a value it
    reads, the window through which it reads it)]); a value read by several ops (a residual
    block's input, say) is needed over the union of what they read."""
    needed: dict[Hashable, Interval] = {output: band}
    for written, reads in reversed(ops):
        if written not in needed:
            continue
        lo, hi = needed[written]
        for value, window in reads:
            a, b = window.input_interval(axis, lo, hi)
            if value in needed:
                a, b = min(a, needed[value][0]), max(b, needed[value][1])
            needed[value] = (a, b)
    return needed
