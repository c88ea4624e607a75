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


@dataclass(frozen=True)
class Overlap:
    """Where an output may sit relative to a dying input it is written over: d = output - input
    offset is safe when d <= forward (kernel runs front to back) or d >= backward (back to front)."""
    forward: int | None
    backward: int | None = None

    def allows(self, d: int) -> bool:
        return (self.forward is not None and d <= self.forward) or (self.backward is not None and d >= self.backward)

    def merge(self, other: "Overlap") -> "Overlap":
        pick = lambda a, b, f: b if a is None else a if b is None else f(a, b)  # noqa: E731
        return Overlap(pick(self.forward, other.forward, max), pick(self.backward, other.backward, min))
