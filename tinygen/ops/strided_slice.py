"""STRIDED_SLICE and SLICE: index resolution (shared with constant folding) and lowering to a strided copy."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinygen.errors import TinygenError
from tinygen.ir import Op
from tinygen.ops import Call, Record, define, exact
from tinygen.ops.gather import element_bytes
from tinygen.ops.operands import ANY, VECTOR, Signature

STRIDED_SLICE_PARAMS = Record("tg_strided_slice_params", """
    int32_t in_dims[5], start[5], step[5], count[5];
    int32_t element_bytes;
""")

MAX_RANK = 5  # TFLM's limit, and the strided-slice kernel's


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


def _evaluate(op, x, begin, end, strides):
    spec = resolve_slice(x.shape, begin, end, strides, op.options)
    sliced = x[tuple(slice(a, (b if b >= 0 else None), s) for a, b, s in zip(spec.starts, spec.stops, spec.steps))]
    return sliced.reshape(spec.output_shape)


STRIDED_SLICE_OPTIONS = (("begin_mask", "i", 0), ("end_mask", "i", 0), ("ellipsis_mask", "i", 0),
                         ("new_axis_mask", "i", 0), ("shrink_axis_mask", "i", 0), ("offset", "?", False))


@define("STRIDED_SLICE", options=STRIDED_SLICE_OPTIONS, evaluate=exact(_evaluate),
        operands=Signature((ANY, VECTOR, VECTOR, VECTOR)))
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
    params = STRIDED_SLICE_PARAMS({
        "in_dims": dims, "start": starts, "step": steps, "count": counts,
        "element_bytes": np.dtype(x.dtype).itemsize,
    })
    return Call("strided_slice", "tg_strided_slice", [params, x, out])


@define("SLICE", operands=Signature((ANY, VECTOR, VECTOR)))
def lower_slice(op: Op) -> Call:
    x, begin, size, out = op.inputs[0], op.inputs[1], op.inputs[2], op.outputs[0]
    itemsize = element_bytes(op, ("int8", "int16", "int32", "float32", "bool"), x, out)
    rank = len(x.shape)
    if rank > MAX_RANK:
        raise TinygenError(f"{op.describe()}: rank {rank} is above TFLM's {MAX_RANK}")
    for t in (begin, size):
        if not t.is_const or t.dtype not in ("int32", "int64") or t.shape != (rank,):
            raise TinygenError(f"{op.describe()}: begin and size must be constant int32 or int64 vectors of {rank}")
    starts = [int(v) for v in begin.data]
    # A size of -1 runs to the end of the axis.
    counts = [d - b if s == -1 else int(s) for d, b, s in zip(x.shape, starts, size.data)]
    if any(b < 0 or c < 0 or b + c > d for b, c, d in zip(starts, counts, x.shape)):
        raise TinygenError(f"{op.describe()}: begin {starts} and size {size.data.tolist()} fall outside {x.shape}")
    if tuple(out.shape) != tuple(counts):
        raise TinygenError(f"{op.describe()}: output shape {out.shape} is not the slice's {tuple(counts)}")
    lead = MAX_RANK - rank
    params = STRIDED_SLICE_PARAMS({
        "in_dims": [1] * lead + list(x.shape), "start": [0] * lead + starts, "step": [1] * MAX_RANK,
        "count": [1] * lead + counts, "element_bytes": itemsize,
    })
    return Call("strided_slice", "tg_strided_slice", [params, x, out])
