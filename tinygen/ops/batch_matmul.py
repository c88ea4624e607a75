"""BATCH_MATMUL (int8): adj_x/adj_y, numpy-broadcast batch dims, constant or computed rhs.

TFLM copies an adjoint operand into a transposed buffer first; the kernel here reads it in
place through strides instead, which sums the same products.
"""
from __future__ import annotations

import numpy as np

from tinygen.errors import TinygenError
from tinygen.ir import Op, Tensor
from tinygen.ops import Call, Record, define
from tinygen.ops.broadcast import broadcast_walk
from tinygen.ops.operands import Operand, Signature
from tinygen.quant import quantize_multiplier, require_per_tensor_int8

BATCH_MATMUL_PARAMS = Record("tg_batch_matmul_params", """
    int32_t batch_count[3], lhs_batch_stride[3], rhs_batch_stride[3];
    int32_t rows, cols, depth, lhs_row_stride, lhs_depth_stride, rhs_depth_stride, rhs_col_stride,
        lhs_offset, rhs_offset, output_offset, multiplier, shift;
""")

BATCH_LOOPS = 3  # TFLM handles ranks 2 to 5: at most 3 batch dims


def _operands(op: Op) -> tuple[Tensor, Tensor, Tensor]:
    lhs, rhs, out = op.input(0), op.input(1), op.outputs[0]
    if lhs is None or rhs is None:
        raise TinygenError(f"{op.describe()}: needs two inputs")
    require_per_tensor_int8(op, lhs, rhs, out)
    for t in (lhs, rhs):
        if not 2 <= len(t.shape) <= 2 + BATCH_LOOPS:
            raise TinygenError(f"{op.describe()}: {t.describe()} has rank {len(t.shape)}; TFLM supports 2 to 5")
    return lhs, rhs, out


def _batch_shape(op: Op, lhs: Tensor, rhs: Tensor) -> tuple[tuple, tuple, tuple]:
    """Both operands' batch dims extended to a common rank, and the broadcast result."""
    rank = max(len(lhs.shape), len(rhs.shape)) - 2
    lhs_batch = (1,) * (rank - len(lhs.shape) + 2) + tuple(lhs.shape[:-2])
    rhs_batch = (1,) * (rank - len(rhs.shape) + 2) + tuple(rhs.shape[:-2])
    if any(l != r and 1 not in (l, r) for l, r in zip(lhs_batch, rhs_batch)):
        raise TinygenError(f"{op.describe()}: batch dims of {lhs.shape} and {rhs.shape} do not broadcast")
    return lhs_batch, rhs_batch, tuple(max(l, r) for l, r in zip(lhs_batch, rhs_batch))


@define("BATCH_MATMUL", options=(("adj_x", "?", False), ("adj_y", "?", False),
                                     ("asymmetric_quantize_inputs", "?", False)),
        operands=Signature((Operand(ranks=(2, 3, 4, 5)),) * 2))
def lower_batch_matmul(op: Op) -> Call:
    lhs, rhs, out = _operands(op)
    adj_x, adj_y = op.options["adj_x"], op.options["adj_y"]
    lhs_a, lhs_b = lhs.shape[-2:]
    rhs_a, rhs_b = rhs.shape[-2:]
    rows, depth = (lhs_b, lhs_a) if adj_x else (lhs_a, lhs_b)
    rhs_depth, cols = (rhs_b, rhs_a) if adj_y else (rhs_a, rhs_b)
    if depth != rhs_depth:
        raise TinygenError(f"{op.describe()}: inner dimensions differ: {lhs.shape} (adj_x={adj_x}) x "
                           f"{rhs.shape} (adj_y={adj_y})")
    lhs_batch, rhs_batch, out_batch = _batch_shape(op, lhs, rhs)
    expected = out_batch + (rows, cols)
    if out.size != int(np.prod(expected, dtype=np.int64)):
        raise TinygenError(f"{op.describe()}: the model says output shape {out.shape}, the product is {expected}")
    counts, lhs_steps, rhs_steps = broadcast_walk(out_batch, lhs_batch, rhs_batch)
    unused = BATCH_LOOPS - len(counts)
    fields = {
        "batch_count": [1] * unused + counts,
        "lhs_batch_stride": [0] * unused + [s * rows * depth for s in lhs_steps],
        "rhs_batch_stride": [0] * unused + [s * depth * cols for s in rhs_steps],
        "rows": rows, "cols": cols, "depth": depth,
        "lhs_row_stride": 1 if adj_x else depth, "lhs_depth_stride": rows if adj_x else 1,
        "rhs_depth_stride": 1 if adj_y else cols, "rhs_col_stride": depth if adj_y else 1,
    }
    multiplier, shift = quantize_multiplier(float(lhs.quant.s) * float(rhs.quant.s) / float(out.quant.s))
    fields.update({"lhs_offset": -lhs.quant.zp, "rhs_offset": -rhs.quant.zp, "output_offset": out.quant.zp,
                   "multiplier": multiplier, "shift": shift})
    return Call("batch_matmul", "tg_batch_matmul_s8", [BATCH_MATMUL_PARAMS(fields), lhs, rhs, out],
                macs=out.size * depth)
