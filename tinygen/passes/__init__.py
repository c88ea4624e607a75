"""Graph rewrites, each doing one thing, run in a fixed order before lowering."""
from tinygen.ir import Graph
from tinygen.passes.check import check_model
from tinygen.passes.fold_constants import fold_constants
from tinygen.passes.fold_pad import fold_pad
from tinygen.passes.fuse_activations import fuse_activations
from tinygen.passes.shapes import check_shapes

PASSES = [check_model, fold_constants, check_shapes, fuse_activations, fold_pad]


def run_passes(graph: Graph) -> Graph:
    for p in PASSES:
        p(graph)
    return graph
