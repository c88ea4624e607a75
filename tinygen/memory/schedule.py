"""Execution order: among the orders the data dependencies allow, prefer one that frees bytes early."""
from __future__ import annotations

from tinygen.memory.lifetimes import Key, StepUse


def low_memory_order(steps: list[StepUse], sizes: dict[Key, int], outputs: list[Key]) -> list[int]:
    """A topological order chosen greedily: next, the ready step that leaves the fewest bytes live
    (bytes it writes minus bytes of inputs it reads last); ties keep the original order."""
    producer = {key: i for i, step in enumerate(steps) for key in step.writes}
    pending_readers: dict[Key, int] = {}
    for step in steps:
        for key in set(step.reads):
            pending_readers[key] = pending_readers.get(key, 0) + 1
    keep = set(outputs)
    done: set[int] = set()
    order = []
    while len(order) < len(steps):
        ready = [i for i in range(len(steps)) if i not in done
                 and all(k not in producer or producer[k] in done for k in steps[i].reads)]

        def growth(i: int) -> int:
            freed = sum(sizes.get(k, 0) for k in set(steps[i].reads)
                        if pending_readers[k] == 1 and k not in keep)
            return sum(sizes.get(k, 0) for k in steps[i].writes) - freed

        chosen = min(ready, key=lambda i: (growth(i), i))
        order.append(chosen)
        done.add(chosen)
        for key in set(steps[chosen].reads):
            pending_readers[key] -= 1
    return order
