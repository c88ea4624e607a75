"""Reject models tinygen cannot compile, with a reason, before any work is done."""
from tinygen.errors import TinygenError
from tinygen.ir import Graph

BOUNDARY_DTYPES = {"int8", "uint8", "float32", "int16", "int32"}
# Quantized activations of these types make a model quantized: int8 (and uint8 at the boundary),
# and int16 with int8 weights (TFLM's 16x8 mode).
QUANTIZED_ACTIVATIONS = ("int8", "uint8", "int16")


def check_model(graph: Graph) -> None:
    if not graph.ops:
        raise TinygenError("the model has no ops")
    activations = graph.live_tensors()
    if not any(t.dtype in QUANTIZED_ACTIVATIONS and t.quant is not None for t in activations):
        raise TinygenError("a float model (no int8 or int16 activations): tinygen compiles quantized models; "
                           "convert with TFLiteConverter using int8 post-training quantization (or 16x8: int16 "
                           "activations, int8 weights)")
    for t in graph.inputs + graph.outputs:
        if t.dtype not in BOUNDARY_DTYPES:
            raise TinygenError(f"model input/output {t.describe()} is {t.dtype}; supported: "
                               + ", ".join(sorted(BOUNDARY_DTYPES)))
