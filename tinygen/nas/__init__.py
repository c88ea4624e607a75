"""Memory-constrained neural architecture search (`tinygen search`), co-designed with tinygen's planner.

space.py   the search space (no TensorFlow)
graph.py   an architecture's int8 graph in tinygen's IR: peak SRAM, flash and MACs in milliseconds
The training side (supernet, data, search driver) needs TensorFlow: pip install '.[train]'.
"""
