"""Reject models tinygen cannot compile, with a reason, before any work is done."""
from tinygen.errors import TinygenError
from tinygen.ir import Graph
from tinygen.ops import definition, supported_ops

BOUNDARY_DTYPES = {"int8", "uint8", "float32", "int16", "int32"}


def check_model(graph: Graph) -> None:
    if not graph.ops:
        raise TinygenError("the model has no ops")
    activations = graph.live_tensors()
    # A quantized int16 activation is no float model: its ops then name the types they refuse.
    if not any(t.dtype in ("int8", "uint8", "int16") and t.quant is not None for t in activations):
        raise TinygenError("a float model (no int8 activations): tinygen compiles int8-quantized models; "
                           "convert with TFLiteConverter using int8 post-training quantization")
    for t in graph.inputs + graph.outputs:
        if t.dtype not in BOUNDARY_DTYPES:
            raise TinygenError(f"model input/output {t.describe()} is {t.dtype}; supported: "
                               + ", ".join(sorted(BOUNDARY_DTYPES)))
    check_state(graph)


def check_state(graph: Graph) -> None:
    """Variable tensors only where an op keeps its state in them (OpDef.state_inputs)."""
    for t in graph.inputs + graph.outputs:
        if t.is_variable:
            raise TinygenError(f"model input/output {t.describe()} is a variable (stateful) tensor")
    for op in graph.ops:
        for t in op.outputs:
            if t.is_variable:
                raise TinygenError(f"{op.describe()} writes {t.describe()}, a variable (stateful) tensor, as its "
                                   "output; tinygen keeps state only in the state inputs of an op")
        defined = definition(op.kind)
        if defined is None or defined.lower is None:
            continue  # lowering names the unsupported op
        allowed = defined.state_inputs
        for i, t in enumerate(op.inputs):
            if t is not None and t.is_variable and i not in allowed:
                stateful = [k for k in supported_ops() if definition(k).state_inputs]
                where = (f"its input {i} is not one of its state inputs {list(allowed)}" if allowed
                         else f"{op.kind} keeps no state (ops with state: {', '.join(stateful)})")
                raise TinygenError(f"{op.describe()} reads {t.describe()}, a variable (stateful) tensor: {where}")
