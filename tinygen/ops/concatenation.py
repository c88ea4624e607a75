"""CONCATENATION and PACK (int8 or int16): interleaved block copies, one block per input per outer index.

PACK stacks N tensors at a new axis a: for each index over the axes before a, one whole block of
every input in turn, exactly the same copy (constant packs are folded before lowering).
TFLM's quantized kernels do not requantize: its Prepare requires every input to share the
output's scale and zero point (the converter arranges that), so the same is required here.
"""
from __future__ import annotations

import numpy as np

from tinygen.errors import TinygenError
from tinygen.ir import Op
from tinygen.ops import ACTIVATION, Call, Record, define, exact, tiling
from tinygen.ops.gather import element_bytes
from tinygen.ops.operands import ANY, Signature
from tinygen.ops.shapes import refuse
from tinygen.quant import ACTIVATION_TYPES, require_quantized

CONCATENATION_PARAMS = Record("tg_concatenation_params", """
    int32_t outer, count;
    int32_t block[10];
    const void *inputs[10];
""")

MAX_INPUTS = 10  # TFLM's limit


def _output_shape(op: Op):
    shapes = [t.shape for t in op.inputs]
    axis = op.options["axis"] % len(op.outputs[0].shape)  # the verifier checked it against the output's rank
    for shape in shapes:
        if len(shape) != len(op.outputs[0].shape) or any(a != b for i, (a, b) in enumerate(zip(shape, shapes[0]))
                                                         if i != axis):
            raise refuse(op, f"inputs of shapes {shapes[0]} and {shape} do not fit together along axis {axis}")
    shape = list(shapes[0])
    shape[axis] = sum(s[axis] for s in shapes)
    return tuple(shape)


def _pack_shape(op: Op):
    shapes = {t.shape for t in op.inputs}
    if len(shapes) > 1:
        raise refuse(op, f"inputs of shapes {sorted(shapes)} cannot be stacked")
    shape = op.inputs[0].shape
    axis = op.options["axis"] % (len(shape) + 1)
    return shape[:axis] + (len(op.inputs),) + shape[axis:]


@define("CONCATENATION", options=(("axis", "i", 0), ACTIVATION), output_shape=_output_shape,
        evaluate=exact(lambda op, *xs: np.concatenate(xs, axis=op.options["axis"] % xs[0].ndim)),
        tiling=tiling.concatenation, operands=Signature((ANY,), repeated_input=True))
def lower_concatenation(op: Op) -> Call:
    inputs, out = op.inputs, op.outputs[0]
    itemsize = np.dtype(require_quantized(op, ACTIVATION_TYPES, *inputs, out)).itemsize
    if op.options["activation"] != "NONE":
        raise TinygenError(f"{op.describe()}: a fused activation is not supported (TFLM refuses it too)")
    if not 1 <= len(inputs) <= MAX_INPUTS:
        raise TinygenError(f"{op.describe()}: {len(inputs)} inputs; TFLM supports 1 to {MAX_INPUTS}")
    rank = len(out.shape)
    if not -rank <= op.options["axis"] < rank:
        raise TinygenError(f"{op.describe()}: axis {op.options['axis']} is out of range for rank {rank}")
    axis = op.options["axis"] % rank
    for t in inputs:
        if t.quant.s != out.quant.s or t.quant.zp != out.quant.zp:
            raise TinygenError(f"{op.describe()}: {t.describe()} is quantized ({t.quant.s}, {t.quant.zp}), "
                               f"the output ({out.quant.s}, {out.quant.zp}); TFLM requires them equal")
        if len(t.shape) != rank or any(a != b for i, (a, b) in enumerate(zip(t.shape, out.shape)) if i != axis):
            raise TinygenError(f"{op.describe()}: {t.describe()} of shape {t.shape} does not fit output {out.shape}")
    inner = int(np.prod(out.shape[axis + 1:], dtype=np.int64))
    params = CONCATENATION_PARAMS({
        "outer": int(np.prod(out.shape[:axis], dtype=np.int64)), "count": len(inputs),
        "block": [t.shape[axis] * inner * itemsize for t in inputs], "inputs": list(inputs),
    })
    return Call("concatenation", "tg_concatenation", [params, out])


@define("PACK", options=(("values_count", "i", 0), ("axis", "i", 0)), output_shape=_pack_shape,
        evaluate=exact(lambda op, *xs: np.stack(xs, axis=op.options["axis"] % (xs[0].ndim + 1))),
        operands=Signature((ANY,), repeated_input=True))
def lower_pack(op: Op) -> Call:
    inputs, out = op.inputs, op.outputs[0]
    itemsize = element_bytes(op, ACTIVATION_TYPES, inputs[0], *inputs[1:], out)
    if not 1 <= len(inputs) <= MAX_INPUTS or op.options["values_count"] != len(inputs):
        raise TinygenError(f"{op.describe()}: {len(inputs)} inputs; 1 to {MAX_INPUTS} are supported")
    rank = len(out.shape)
    if not -rank <= op.options["axis"] < rank:
        raise TinygenError(f"{op.describe()}: axis {op.options['axis']} is out of range for rank {rank}")
    axis = op.options["axis"] % rank
    shape = tuple(inputs[0].shape)
    if any(tuple(t.shape) != shape for t in inputs) or tuple(out.shape) != shape[:axis] + (len(inputs),) + shape[axis:]:
        raise TinygenError(f"{op.describe()}: inputs {[t.shape for t in inputs]} do not stack into {out.shape}")
    inner = int(np.prod(shape[axis:], dtype=np.int64))
    params = CONCATENATION_PARAMS({
        "outer": int(np.prod(shape[:axis], dtype=np.int64)), "count": len(inputs),
        "block": [inner * itemsize] * len(inputs), "inputs": list(inputs),
    })
    return Call("concatenation", "tg_concatenation", [params, out])
