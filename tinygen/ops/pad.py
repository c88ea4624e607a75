"""PAD and PADV2 (int8 or int16, constant paddings, rank <= 5): a copy into a frame of the pad value.

Like TFLM, the values are copied unchanged: no requantization between input and output.
"""
from __future__ import annotations

import numpy as np

from tinygen.errors import TinygenError
from tinygen.ir import Op
from tinygen.ops import Call, Record, define, tiling
from tinygen.ops.operands import ANY, PAIRS, Operand, Signature
from tinygen.ops.shapes import refuse
from tinygen.quant import ACTIVATION_TYPES, TYPE_SUFFIX, require_quantized

PAD_PARAMS = Record("tg_pad_params", """
    int32_t in_dims[5], out_dims[5], before[5];
    int32_t value;
""")

MAX_RANK = 5


def _pad_value(op: Op) -> int:
    """PAD fills with the output zero point; PADV2 with its constant, which TFLM requires to be
    quantized like the output."""
    value, out = op.input(2), op.outputs[0]
    if value is None:
        return out.quant.zp
    require_quantized(op, (out.dtype,), value)
    if not value.is_const or value.size != 1:
        raise TinygenError(f"{op.describe()}: the pad value must be a constant scalar")
    if value.quant.zp != out.quant.zp or value.quant.s != out.quant.s:
        raise TinygenError(f"{op.describe()}: the pad value is quantized differently from the output")
    return int(value.data.ravel()[0])


def _output_shape(op: Op):
    x, paddings = op.inputs[0], op.inputs[1]
    if not paddings.is_const:
        return None  # computed by a chain constant folding removes; checked after it
    if paddings.shape != (len(x.shape), 2):
        raise refuse(op, f"paddings of shape {paddings.shape} do not fit an input of rank {len(x.shape)}")
    return tuple(int(d + a + b) for d, (a, b) in zip(x.shape, paddings.data))


@define("PAD", output_shape=_output_shape, tiling=tiling.pad, operands=Signature((ANY, PAIRS)))
@define("PADV2", output_shape=_output_shape, tiling=tiling.pad,
        operands=Signature((ANY, PAIRS, Operand(ranks=(0, 1), optional=True))))
def lower_pad(op: Op) -> Call:
    x, paddings, out = op.inputs[0], op.inputs[1], op.outputs[0]
    dtype = require_quantized(op, ACTIVATION_TYPES, x, out)
    rank = len(x.shape)
    if not paddings.is_const or paddings.dtype != "int32" or paddings.size != 2 * rank:
        raise TinygenError(f"{op.describe()}: paddings must be a constant int32 {rank}x2 tensor")
    if rank > MAX_RANK:
        raise TinygenError(f"{op.describe()}: rank {rank} is above the supported {MAX_RANK}")
    p = paddings.data.astype(np.int64).reshape(rank, 2)
    if (p < 0).any():
        raise TinygenError(f"{op.describe()}: negative paddings are not supported")
    if tuple(int(d) for d in np.array(x.shape) + p.sum(axis=1)) != tuple(out.shape):
        raise TinygenError(f"{op.describe()}: output shape {out.shape} is not {x.shape} padded by {p.tolist()}")
    lead = [1] * (MAX_RANK - rank)
    params = PAD_PARAMS({
        "in_dims": lead + list(x.shape), "out_dims": lead + list(out.shape),
        "before": [0] * (MAX_RANK - rank) + [int(v) for v in p[:, 0]], "value": _pad_value(op),
    })
    return Call("pad", f"tg_pad_{TYPE_SUFFIX[dtype]}", [params, x, out])
