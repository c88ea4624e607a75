"""Static arena planning: buffer lifetimes over an op schedule and their placement at fixed offsets."""
from memory_planner.buffers import Buffer
from memory_planner.placement import Plan, place

__all__ = ["Buffer", "Plan", "place"]
