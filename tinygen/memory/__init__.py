"""Static arena planning for a fixed op schedule.

- `lifetimes`: which buffers exist, when they are written first and read last, and which pairs
  an op may overlap (a dying input and the output written over it);
- `schedule`: execution orders of the same graph that keep fewer bytes live;
- `placement`: byte offsets in one arena, and the lower bound any placement must respect;
- `patches`: receptive fields and tiles for patch-based execution of a network's first stage.
"""
from tinygen.memory.buffers import Buffer, Overlap
from tinygen.memory.lifetimes import StepUse, lifetimes
from tinygen.memory.placement import Plan, lower_bound, place
from tinygen.memory.schedule import low_memory_order

__all__ = ["Buffer", "Overlap", "Plan", "StepUse", "lifetimes", "low_memory_order", "lower_bound", "place"]
