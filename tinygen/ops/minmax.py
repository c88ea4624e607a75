"""MAXIMUM and MINIMUM (int8, numpy broadcasting), and the operand checks the other binary ops share.

TFLM compares the raw int8 values and ignores the quantization parameters, so no rescaling here.
"""
from __future__ import annotations

import numpy as np

from tinygen.errors import TinygenError
from tinygen.ir import Op, Tensor
from tinygen.ops import Call, define
from tinygen.ops.broadcast import binary_inplace, walk_struct
from tinygen.ops.operands import BINARY
from tinygen.ops.shapes import broadcast

MAX_RANK = 6  # TFLM's RuntimeShape holds at most 6 dims; TG_BROADCAST_MAX_RANK in tg_broadcast.h


def binary_operands(op: Op) -> tuple[Tensor, Tensor, Tensor]:
    a, b, out = op.input(0), op.input(1), op.outputs[0]
    if a is None or b is None:
        raise TinygenError(f"{op.describe()}: needs two inputs")
    for t in (a, b, out):
        if t.dtype != "int8":
            raise TinygenError(f"{op.describe()}: {t.describe()} is {t.dtype}; this op is supported for int8 only")
    if max(len(a.shape), len(b.shape)) > MAX_RANK:
        raise TinygenError(f"{op.describe()}: operands of rank above {MAX_RANK} are not supported (nor by TFLM)")
    try:
        expected = tuple(np.broadcast_shapes(a.shape, b.shape))
    except ValueError:
        raise TinygenError(f"{op.describe()}: shapes {a.shape} and {b.shape} do not broadcast") from None
    if expected != tuple(out.shape):
        raise TinygenError(f"{op.describe()}: the model says output shape {out.shape}, broadcasting gives {expected}")
    return a, b, out


@define("MAXIMUM", "MINIMUM", output_shape=broadcast, operands=BINARY)
def lower_minmax(op: Op) -> Call:
    a, b, out = binary_operands(op)
    function = "tg_maximum_s8" if op.kind == "MAXIMUM" else "tg_minimum_s8"
    return Call("minmax", function, [walk_struct(a, b, out), a, b, out], inplace=binary_inplace(a, b, out))
