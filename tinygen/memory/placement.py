"""Placement of buffers at fixed offsets in one arena."""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Callable

from tinygen.memory.buffers import Buffer, Overlap

ALIGNMENT = 8

Overlaps = dict  # (dying input, output) -> Overlap: which output.offset - input.offset are safe


def aligned(n: int) -> int:
    return (n + ALIGNMENT - 1) // ALIGNMENT * ALIGNMENT


def _aligned_options(where: Overlap) -> list[int]:
    """The safe offset differences closest to 0 on each side, on the alignment grid."""
    options = []
    if where.forward is not None:
        options.append(min(where.forward, 0) // ALIGNMENT * ALIGNMENT)
    if where.backward is not None:
        options.append(aligned(max(where.backward, 0)))
    return options


def _span(a: Buffer, b: Buffer, d: int) -> int:
    return max(aligned(a.nbytes), d + aligned(b.nbytes)) - min(0, d)


def _best_difference(a: Buffer, b: Buffer, where: Overlap) -> int:
    return min(_aligned_options(where), key=lambda d: (_span(a, b, d), abs(d)))


@dataclass
class Plan:
    offsets: dict  # Buffer -> byte offset
    arena_bytes: int
    lower_bound_bytes: int  # the most bytes live at one step, in-place pairs counted at their best overlap
    overlaps: dict  # the in-place pairs the placement was allowed to use


def pair_footprint(a: Buffer, b: Buffer, where: Overlap) -> int:
    """Bytes spanned by a dying input a and the output b written over it, at their best offsets."""
    return _span(a, b, _best_difference(a, b, where))


def step_bounds(buffers: list[Buffer], overlaps: Overlaps) -> dict[int, int]:
    """For each step where a buffer starts or ends: the bytes live then, less what in-place
    pairs can save. No placement needs less than the largest of them."""
    steps = sorted({b.first for b in buffers} | {b.last for b in buffers})
    bounds = {}
    for s in steps:
        live = [b for b in buffers if b.first <= s <= b.last]
        total = sum(aligned(b.nbytes) for b in live)
        # Each pair at this step saves at most its own overlap (summed: a valid bound however they chain).
        saving = sum(aligned(a.nbytes) + aligned(b.nbytes) - pair_footprint(a, b, where)
                     for (a, b), where in overlaps.items() if a.last == s == b.first)
        bounds[s] = total - saving
    return bounds


def lower_bound(buffers: list[Buffer], overlaps: Overlaps) -> int:
    return max(step_bounds(buffers, overlaps).values(), default=0)


def _fits(buf: Buffer, offset: int, placed: dict, overlaps: Overlaps) -> bool:
    end = offset + aligned(buf.nbytes)
    for other, other_offset in placed.items():
        if not buf.overlaps(other):
            continue
        if end <= other_offset or other_offset + aligned(other.nbytes) <= offset:
            continue
        if (other, buf) in overlaps and overlaps[(other, buf)].allows(offset - other_offset):
            continue
        if (buf, other) in overlaps and overlaps[(buf, other)].allows(other_offset - offset):
            continue
        return False
    return True


def chains(buffers: list[Buffer], overlaps: Overlaps, cut: bool = True, narrow_chain: bool = True) -> list[dict]:
    """Buffers linked by in-place pairs, each with its offset relative to the chain's lowest member.

    Each buffer takes at most one in-place successor and one predecessor (the largest pairs
    first), so a chain is a path: conv -> depthwise -> conv ... each written over the last.
    Every link shifts the chain by the difference its pair needs, so a chain is cut where
    following the link would make it span more than both its largest pair and the two buffers
    placed apart.
    """
    successor: dict[Buffer, tuple[Buffer, Overlap]] = {}
    has_predecessor: set[Buffer] = set()
    for (a, b), where in sorted(overlaps.items(), key=lambda kv: -(kv[0][0].nbytes + kv[0][1].nbytes)):
        if a not in successor and b not in has_predecessor and not _reaches(successor, b, a):
            successor[a] = (b, where)
            has_predecessor.add(b)
    units = []
    for head in buffers:
        if head in has_predecessor:
            continue
        relative, current, position, need = {head: 0}, head, 0, aligned(head.nbytes)
        while current in successor:
            following, where = successor[current]
            # The side (front to back or back to front) that keeps the chain, or else the pair, narrowest.
            step = min(_aligned_options(where), key=lambda d: (
                _relative_span({**relative, following: position + d}) if narrow_chain else 0,
                _span(current, following, d), abs(d)))
            need = max(need, pair_footprint(current, following, where))
            apart = aligned(current.nbytes) + aligned(following.nbytes)  # what cutting here costs
            wide = cut and _relative_span({**relative, following: position + step}) > max(need, apart)
            # A member still live alongside (not just the previous one) must not be overwritten either.
            if wide or not _fits(following, position + step, relative, overlaps):
                units.append(relative)
                relative, position, need = {following: 0}, 0, aligned(following.nbytes)
            else:
                position += step
                relative[following] = position
            current = following
        units.append(relative)
    return [{b: r - min(u.values()) for b, r in u.items()} for u in units]


def _relative_span(relative: dict) -> int:
    return max(r + aligned(b.nbytes) for b, r in relative.items()) - min(relative.values())


def _reaches(successor: dict, start: Buffer, target: Buffer) -> bool:
    while start in successor:
        start = successor[start][0]
        if start is target:
            return True
    return start is target


def _lowest_fit(unit: dict, placed: dict, overlaps: Overlaps) -> int:
    candidates = {0}
    for buf, rel in unit.items():
        for other, offset in placed.items():
            if buf.overlaps(other):
                candidates.add(offset + aligned(other.nbytes) - rel)
                if (other, buf) in overlaps:
                    candidates.update(offset + d - rel for d in _aligned_options(overlaps[(other, buf)]))
                if (buf, other) in overlaps:
                    candidates.update(offset - d - rel for d in _aligned_options(overlaps[(buf, other)]))
    for base in sorted(c for c in candidates if c >= 0):
        if all(_fits(buf, base + rel, placed, overlaps) for buf, rel in unit.items()):
            return base
    raise AssertionError("above every placed buffer a unit always fits")


ORDERINGS: list[Callable[[dict], tuple]] = [
    lambda u: (-_relative_span(u), min(b.first for b in u)),  # largest first, as TFLM's greedy planner
    lambda u: (min(b.first for b in u), -_relative_span(u)),  # in schedule order
    lambda u: (-(max(b.last for b in u) - min(b.first for b in u)), -_relative_span(u)),  # longest-lived first
]


def place(buffers: list[Buffer], overlaps: Overlaps | None = None) -> Plan:
    """Greedy lowest-offset placement of in-place chains (built a few ways) under several orders;
    the smallest arena wins."""
    overlaps = overlaps or {}
    best = None
    decompositions = [chains(buffers, overlaps, cut, narrow) for cut in (True, False) for narrow in (True, False)]
    for units, key in itertools.product(decompositions, ORDERINGS):
        placed: dict[Buffer, int] = {}
        for unit in sorted(units, key=key):
            base = _lowest_fit(unit, placed, overlaps)
            placed.update({b: base + rel for b, rel in unit.items()})
        arena = max((placed[b] + aligned(b.nbytes) for b in buffers), default=0)
        if best is None or arena < best[1]:
            best = (placed, arena)
    return Plan(best[0], best[1], lower_bound(buffers, overlaps), overlaps)
