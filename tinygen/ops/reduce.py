"""REDUCE_MAX and SUM (int8) over any set of axes, with or without keep_dims.

Both walk the input the way MEAN does (tinygen/ops/mean.py). SUM is MEAN's arithmetic without
the 1/count: TFLM requantizes the zero-point-corrected sum by input_scale / output_scale, so it
runs on MEAN's kernel. REDUCE_MAX compares raw values, which TFLM allows only when input and
output share their quantization.
"""
from __future__ import annotations

import numpy as np

from tinygen.errors import TinygenError
from tinygen.ir import Op
from tinygen.ops import Call, Struct, register
from tinygen.ops.mean import _padded, _resolve_axes, _runs
from tinygen.quant import quantize_multiplier, require_int8

MAX_SUM_COUNT = 1 << 23  # keeps the int32 sum and its zero-point correction exact, as for MEAN


def _reduction(op: Op) -> tuple[dict, int]:
    """The walk over kept and reduced runs, and how many input elements each output reduces."""
    x, out = op.inputs[0], op.outputs[0]
    require_int8(op, x, out)
    if x.quant.per_channel or out.quant.per_channel:
        raise TinygenError(f"{op.describe()}: per-channel quantized tensors are not supported")
    axes = _resolve_axes(op)
    kept_size = int(np.prod([d for i, d in enumerate(x.shape) if i not in axes], dtype=np.int64))
    if kept_size != out.size:
        raise TinygenError(f"{op.describe()}: output shape {out.shape} does not match reducing {x.shape} over {axes}")
    count = int(np.prod([x.shape[a] for a in axes], dtype=np.int64))
    if count == 0 or out.size == 0:
        raise TinygenError(f"{op.describe()}: empty tensors are not supported")
    kept, reduced = _runs(x.shape, axes)
    kept_count, kept_stride = _padded(kept, op)
    reduced_count, reduced_stride = _padded(reduced, op)
    return {"kept_count": kept_count, "kept_stride": kept_stride,
            "reduced_count": reduced_count, "reduced_stride": reduced_stride}, count


@register("SUM")
def lower_sum(op: Op) -> Call:
    walk, count = _reduction(op)
    if count >= MAX_SUM_COUNT:
        raise TinygenError(f"{op.describe()}: summing {count} elements is beyond the supported 2^23")
    x, out = op.inputs[0], op.outputs[0]
    multiplier, shift = quantize_multiplier(float(x.quant.s) / float(out.quant.s))
    params = Struct("tg_mean_params", {**walk, "sum_offset": -x.quant.zp * count, "multiplier": multiplier,
                                       "shift": shift, "output_offset": out.quant.zp})
    return Call("mean", "tg_mean_s8", [params, x, out], macs=x.size)


@register("REDUCE_MAX")
def lower_reduce_max(op: Op) -> Call:
    walk, _ = _reduction(op)
    x, out = op.inputs[0], op.outputs[0]
    if x.quant.s != out.quant.s or x.quant.zp != out.quant.zp:
        raise TinygenError(f"{op.describe()}: input and output quantization differ (scale {x.quant.s} vs "
                           f"{out.quant.s}, zero point {x.quant.zp} vs {out.quant.zp}); TFLM's int8 REDUCE_MAX "
                           "requires them equal")
    return Call("reduce_max", "tg_reduce_max_s8", [Struct("tg_reduce_max_params", walk), x, out], macs=x.size)
