"""Buffers and their lifetimes over a schedule of steps that read and write named values."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Hashable

from tinygen.memory.buffers import Buffer, Overlap

Key = Hashable


@dataclass
class StepUse:
    reads: list[Key]
    writes: list[Key]
    scratch: list[tuple[Key, int]] = field(default_factory=list)  # buffers live during this step only
    inplace: list[tuple[Key, Key, Overlap]] = field(default_factory=list)  # (input, output, where)


def lifetimes(steps: list[StepUse], sizes: dict[Key, int], inputs: list[Key], outputs: list[Key],
              names: dict[Key, str] | None = None) -> tuple[dict[Key, Buffer], dict[tuple[Buffer, Buffer], Overlap]]:
    """One buffer per value (and per scratch), alive from its first write to its last read.

    Model inputs are alive before the first step and outputs after the last. An in-place pair
    is kept only where it is safe: the input is read for the last time by that very step.
    """
    spans: dict[Key, list[int]] = {}

    def touch(key: Key, when: int) -> None:
        span = spans.setdefault(key, [when, when])
        span[0], span[1] = min(span[0], when), max(span[1], when)

    for key in inputs:
        touch(key, -1)
    for i, step in enumerate(steps):
        for key in step.reads + step.writes:
            touch(key, i)
        for key, _ in step.scratch:
            touch(key, i)
    for key in outputs:
        touch(key, len(steps))
    scratch_sizes = {key: n for step in steps for key, n in step.scratch}
    label = names or {}
    buffers = {key: Buffer(label.get(key, str(key)), sizes.get(key, scratch_sizes.get(key, 0)), first, last)
               for key, (first, last) in spans.items()}
    overlaps = {}
    for i, step in enumerate(steps):
        for source, target, where in step.inplace:
            a, b = buffers[source], buffers[target]
            if a is not b and a.last == i and b.first == i:
                overlaps[(a, b)] = where.merge(overlaps[(a, b)]) if (a, b) in overlaps else where
    return buffers, overlaps
