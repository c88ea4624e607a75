"""MEAN (int8 or int16) over any set of axes: a sum per output, then one requantization that folds in 1/count.

SUM is MEAN's arithmetic without the 1/count: TFLM requantizes the zero-point-corrected sum by
input_scale / output_scale, so it runs on MEAN's kernel (and REDUCE_MAX, reduce_max.py, walks the
input the same way).
"""
from __future__ import annotations

import numpy as np

from tinygen.errors import TinygenError
from tinygen.ir import Op
from tinygen.ops import Call, Record, define
from tinygen.ops.operands import ANY, AXIS, Signature
from tinygen.quant import ACTIVATION_TYPES, TYPE_SUFFIX, quantize_multiplier, require_quantized

MEAN_PARAMS = Record("tg_mean_params", """
    int32_t kept_count[3], kept_stride[3], reduced_count[3], reduced_stride[3];
    int32_t sum_offset, multiplier, shift, output_offset;
""")

GROUPS = 3  # kept and reduced runs of axes the kernel loops over, each


def _resolve_axes(op: Op) -> list[int]:
    """The reduced axes, negatives wrapped and duplicates dropped, as TFLM's ResolveAxis."""
    axis, rank = op.inputs[1], len(op.inputs[0].shape)
    if axis is None or not axis.is_const or axis.dtype != "int32":
        raise TinygenError(f"{op.describe()}: the axes must be a constant int32 tensor")
    resolved = []
    for a in axis.data.ravel().tolist():
        if not -rank <= a < rank:
            raise TinygenError(f"{op.describe()}: axis {a} is out of range for rank {rank}")
        if a % rank not in resolved:
            resolved.append(a % rank)
    return resolved


def _runs(shape: tuple[int, ...], reduced: list[int]) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """(count, element stride) of maximal runs of adjacent kept axes and of reduced axes, outer first.

    Merging adjacent axes of the same kind changes neither the visiting order of the kept
    elements (the output order) nor which inputs each output sums.
    """
    kept_runs, reduced_runs = [], []
    stride, previous = 1, None
    for axis in reversed(range(len(shape))):
        size, is_reduced = shape[axis], axis in reduced
        if size != 1:
            runs = reduced_runs if is_reduced else kept_runs
            if previous == is_reduced:
                runs[0] = (runs[0][0] * size, runs[0][1])
            else:
                runs.insert(0, (size, stride))
            previous = is_reduced
        stride *= size
    return kept_runs, reduced_runs


def _padded(runs: list[tuple[int, int]], op: Op) -> tuple[list[int], list[int]]:
    if len(runs) > GROUPS:
        raise TinygenError(f"{op.describe()}: the axes alternate kept/reduced more than {GROUPS} times each")
    runs = [(1, 0)] * (GROUPS - len(runs)) + runs
    return [c for c, _ in runs], [s for _, s in runs]


def mean_multiplier(input_scale: np.float32, output_scale: np.float32, count: int) -> tuple[int, int]:
    """input_scale / output_scale / count as (multiplier, shift), exactly as TFLM's quantized mean.

    The ratio of scales is quantized first (in double); 1/count is then folded into that
    significand by an integer division, giving up precision rather than exceeding a 32-bit
    shift or a total right shift of 31.
    """
    multiplier, shift = quantize_multiplier(float(input_scale) / float(output_scale))
    extra = min(count.bit_length() - 1, 32, 31 + shift)
    return (multiplier << extra) // count, shift - extra


def sum_limit(dtype: str) -> int:
    """How many elements an int32 sum of the type, with its zero-point correction, holds exactly."""
    return 1 << (31 - 8 * np.dtype(dtype).itemsize)


def reduction_walk(op: Op, dtypes: tuple[str, ...] = ("int8",)) -> tuple[dict, int]:
    """The walk over kept and reduced runs, and how many input elements each output reduces."""
    x, out = op.inputs[0], op.outputs[0]
    require_quantized(op, dtypes, x, out)
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


@define("MEAN", "SUM", options=(("keep_dims", "?", False),), operands=Signature((ANY, AXIS)))
def lower_mean(op: Op) -> Call:
    walk, count = reduction_walk(op, ACTIVATION_TYPES)
    x, out = op.inputs[0], op.outputs[0]
    if count >= sum_limit(x.dtype):
        raise TinygenError(f"{op.describe()}: {op.kind} of {count} {x.dtype} elements is beyond the supported "
                           f"{sum_limit(x.dtype)} (an exact int32 sum)")
    if op.kind == "MEAN":
        multiplier, shift = mean_multiplier(x.quant.s, out.quant.s, count)
    else:
        multiplier, shift = quantize_multiplier(float(x.quant.s) / float(out.quant.s))
    params = MEAN_PARAMS({**walk, "sum_offset": -x.quant.zp * count, "multiplier": multiplier, "shift": shift,
                          "output_offset": out.quant.zp})
    return Call("mean", f"tg_mean_{TYPE_SUFFIX[x.dtype]}", [params, x, out], macs=x.size)
