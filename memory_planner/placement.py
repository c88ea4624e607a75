"""Placement of buffers at fixed offsets in one arena."""
from __future__ import annotations

from dataclasses import dataclass

from memory_planner.buffers import Buffer

ALIGNMENT = 8


def _align(n: int) -> int:
    return (n + ALIGNMENT - 1) // ALIGNMENT * ALIGNMENT


@dataclass
class Plan:
    offsets: dict  # Buffer -> byte offset
    arena_bytes: int
    lower_bound_bytes: int  # the most bytes live at any one step: no placement can do better


def lower_bound(buffers: list[Buffer]) -> int:
    steps = {b.first for b in buffers} | {b.last for b in buffers}
    return max((sum(_align(b.nbytes) for b in buffers if b.first <= s <= b.last) for s in steps), default=0)


def place(buffers: list[Buffer]) -> Plan:
    """Greedy placement, largest first, each at the lowest offset clear of the buffers it overlaps in time."""
    offsets: dict[Buffer, int] = {}
    for buf in sorted(buffers, key=lambda b: (-b.nbytes, b.first)):
        taken = sorted((offsets[o], offsets[o] + _align(o.nbytes)) for o in offsets if o.overlaps(buf))
        offset = 0
        for start, end in taken:
            if offset + _align(buf.nbytes) <= start:
                break
            offset = max(offset, end)
        offsets[buf] = offset
    arena = max((offsets[b] + _align(b.nbytes) for b in buffers), default=0)
    return Plan(offsets, arena, lower_bound(buffers))
