"""Output shapes again after constant folding: an operand the verifier could not read yet (a
padding computed by a chain that folding removed) is a constant now, and its op's stored output
shape is checked against it (tinygen.ops.shapes.check_output_shape)."""
from __future__ import annotations

from tinygen.ir import Graph
from tinygen.ops import definition
from tinygen.ops.shapes import check_output_shape


def check_shapes(graph: Graph) -> None:
    for op in graph.ops:
        defined = definition(op.kind)
        if defined is not None and defined.operands is not None:
            check_output_shape(op)
