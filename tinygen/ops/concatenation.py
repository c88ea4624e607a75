"""CONCATENATION (int8): interleaved block copies, one block per input per outer index.

TFLM's int8 kernel does not requantize: its Prepare requires every input to share the
output's scale and zero point (the converter arranges that), so the same is required here.
"""
from __future__ import annotations

import numpy as np

from tinygen.errors import TinygenError
from tinygen.ir import Op
from tinygen.ops import Call, Struct, register
from tinygen.quant import require_int8

MAX_INPUTS = 10  # TFLM's limit


@register("CONCATENATION")
def lower_concatenation(op: Op) -> Call:
    inputs, out = op.inputs, op.outputs[0]
    require_int8(op, *inputs, out)
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
    params = Struct("tg_concatenation_params", {
        "outer": int(np.prod(out.shape[:axis], dtype=np.int64)), "count": len(inputs),
        "block": [t.shape[axis] * inner for t in inputs], "inputs": list(inputs),
    })
    return Call("concatenation", "tg_concatenation_s8", [params, out])
