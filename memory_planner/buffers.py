"""A buffer to place: its size and the span of schedule steps during which it must hold its bytes."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(eq=False)
class Buffer:
    name: str
    nbytes: int
    first: int  # first step that writes it (-1: before the first op, e.g. a model input)
    last: int  # last step that reads it

    def overlaps(self, other: "Buffer") -> bool:
        return self.first <= other.last and other.first <= self.last
