"""Reject models tinygen cannot compile, with a reason, before any work is done."""
from tinygen.errors import TinygenError
from tinygen.ir import Graph

BOUNDARY_DTYPES = {"int8", "uint8", "float32", "int16", "int32"}


def check_model(graph: Graph) -> None:
    if not graph.ops:
        raise TinygenError("the model has no ops")
    activations = graph.live_tensors()
    if not any(t.dtype in ("int8", "uint8") and t.quant is not None for t in activations):
        raise TinygenError("a float model (no int8 activations): tinygen compiles int8-quantized models; "
                           "convert with TFLiteConverter using int8 post-training quantization")
    for t in graph.inputs + graph.outputs:
        if t.dtype not in BOUNDARY_DTYPES:
            raise TinygenError(f"model input/output {t.describe()} is {t.dtype}; supported: "
                               + ", ".join(sorted(BOUNDARY_DTYPES)))
