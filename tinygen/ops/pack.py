"""PACK (int8, non-constant inputs): a concatenation along a new axis.

Stacking N tensors at axis a lays out, for each index over the axes before a, one whole block of
every input in turn: exactly the CONCATENATION kernel's copy, so PACK reuses it. Constant packs
are folded before lowering. TFLM moves the values unchanged whatever the quantization says.
"""
from __future__ import annotations

import numpy as np

from tinygen.errors import TinygenError
from tinygen.ir import Op
from tinygen.ops import Call, Struct, register
from tinygen.ops.concatenation import MAX_INPUTS
from tinygen.ops.gather import element_bytes


@register("PACK")
def lower_pack(op: Op) -> Call:
    inputs, out = op.inputs, op.outputs[0]
    element_bytes(op, ("int8",), inputs[0], *inputs[1:], out)
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
    params = Struct("tg_concatenation_params", {
        "outer": int(np.prod(shape[:axis], dtype=np.int64)), "count": len(inputs),
        "block": [inner] * len(inputs), "inputs": list(inputs),
    })
    return Call("concatenation", "tg_concatenation_s8", [params, out])
