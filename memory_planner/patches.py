"""Geometry of patch-based inference: tiles of a stage's output and the input regions they need.

A region is (y0, y1, x0, x1), half-open, in a tensor's own rows and columns. Walking a tile
back through the stage's sliding windows (kernel, stride, dilation, padding) gives the region
of every intermediate tensor the tile needs, halo included; neighbouring tiles' halos overlap,
and that overlap is computed twice (the MAC overhead of patch-based inference).
"""
from __future__ import annotations

from dataclasses import dataclass

Region = tuple[int, int, int, int]


@dataclass(frozen=True)
class Window:
    """One op's sliding window along (rows, columns); a pointwise op is a 1x1 window with stride 1."""
    in_size: tuple[int, int]
    kernel: tuple[int, int] = (1, 1)
    stride: tuple[int, int] = (1, 1)
    dilation: tuple[int, int] = (1, 1)
    pad: tuple[int, int] = (0, 0)  # leading padding (top, left)

    def input_region(self, out: Region) -> Region:
        bounds = []
        for axis, (lo, hi) in enumerate(((out[0], out[1]), (out[2], out[3]))):
            first = lo * self.stride[axis] - self.pad[axis]
            last = (hi - 1) * self.stride[axis] - self.pad[axis] + (self.kernel[axis] - 1) * self.dilation[axis]
            bounds += [max(0, first), min(self.in_size[axis], last + 1)]
        return bounds[0], bounds[1], bounds[2], bounds[3]


def split(size: int, parts: int) -> list[tuple[int, int]]:
    edges = [round(i * size / parts) for i in range(parts + 1)]
    return [(a, b) for a, b in zip(edges, edges[1:]) if b > a]


def tiles(height: int, width: int, n: int) -> list[Region]:
    """An n x n grid over a height x width output, in raster order."""
    return [(y0, y1, x0, x1) for y0, y1 in split(height, n) for x0, x1 in split(width, n)]


def regions(windows: list[Window], tile: Region) -> list[Region]:
    """For a tile of the stage's output, the region of each tensor from the stage input to its output."""
    chain = [tile]
    for window in reversed(windows):
        chain.append(window.input_region(chain[-1]))
    return chain[::-1]


def area(region: Region) -> int:
    return (region[1] - region[0]) * (region[3] - region[2])
