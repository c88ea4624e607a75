"""STRIDED_SLICE: index resolution (shared with constant folding) and lowering to a strided copy."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinygen.errors import TinygenError
from tinygen.ops import Call, Struct, register


@dataclass
class SliceSpec:
    starts: list[int]
    stops: list[int]  # exclusive; -1 with a negative step means "down to index 0"
    steps: list[int]
    output_shape: tuple[int, ...]  # after shrink_axis_mask


def _clamp(v: int, lo: int, hi: int) -> int:
    return max(lo, min(hi, v))


def resolve_slice(shape, begin, end, strides, options: dict) -> SliceSpec:
    """Per-axis start/stop/step with TFLM's rules for masks, negative indices and clamping."""
    if options.get("ellipsis_mask") or options.get("new_axis_mask"):
        raise TinygenError("STRIDED_SLICE with ellipsis_mask or new_axis_mask is not supported")
    rank = len(shape)
    begin, end, strides = (list(np.asarray(v).ravel().astype(int)) + [0] * (rank - len(v)) for v in (begin, end, strides))
    strides = [s if i < len(strides) and s else 1 for i, s in enumerate(strides)]
    starts, stops, full_shape, kept_shape = [], [], [], []
    for axis, size in enumerate(shape):
        step, bit = strides[axis], 1 << axis
        start = begin[axis] + (size if begin[axis] < 0 else 0)
        start = _clamp(start, 0, size) if step > 0 else _clamp(start, -1, size - 1)
        if options.get("begin_mask", 0) & bit:
            start = 0 if step > 0 else size - 1
        if options.get("shrink_axis_mask", 0) & bit:
            stop = start if start >= size else start + 1
        else:
            stop = end[axis] + (start if options.get("offset") else 0)
            stop += size if stop < 0 else 0
            stop = _clamp(stop, 0, size) if step > 0 else _clamp(stop, -1, size - 1)
            if options.get("end_mask", 0) & bit:
                stop = size if step > 0 else -1
        count = max(0, -(-(stop - start) // step)) if step > 0 else max(0, -(-(start - stop) // -step))
        starts.append(start)
        stops.append(stop)
        full_shape.append(count)
        if not options.get("shrink_axis_mask", 0) & bit:
            kept_shape.append(count)
    return SliceSpec(starts, stops, strides, tuple(kept_shape))


@register("STRIDED_SLICE")
def lower_strided_slice(op):
    x, out = op.inputs[0], op.outputs[0]
    if not all(t is not None and t.is_const for t in op.inputs[1:4]):
        raise TinygenError(f"{op.describe()}: begin, end and strides must be constants")
    if x.dtype != out.dtype:
        raise TinygenError(f"{op.describe()}: input and output types differ")
    if x.quant is not None and out.quant is not None and (x.quant.s != out.quant.s or x.quant.zp != out.quant.zp):
        raise TinygenError(f"{op.describe()}: input and output quantization differ")
    spec = resolve_slice(x.shape, *(op.inputs[i].data for i in (1, 2, 3)), op.options)
    if len(x.shape) > 5:
        raise TinygenError(f"{op.describe()}: rank {len(x.shape)} is above the supported 5")
    pad = 5 - len(x.shape)
    dims = [1] * pad + list(x.shape)
    starts, steps = [0] * pad + spec.starts, [1] * pad + spec.steps
    counts = [1] * pad + [max(0, len(range(a, b, s))) for a, b, s in zip(spec.starts, spec.stops, spec.steps)]
    params = Struct("tg_strided_slice_params", {
        "in_dims": dims, "start": starts, "step": steps, "count": counts,
        "element_bytes": np.dtype(x.dtype).itemsize,
    })
    return Call("strided_slice", "tg_strided_slice", [params, x, out])
