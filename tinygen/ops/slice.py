"""SLICE (constant begin and size, rank <= 5): the strided-slice copy with unit steps."""
from __future__ import annotations

from tinygen.errors import TinygenError
from tinygen.ir import Op
from tinygen.ops import Call, Struct, register
from tinygen.ops.gather import element_bytes

MAX_RANK = 5  # TFLM's limit, and the strided-slice kernel's


@register("SLICE")
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
    params = Struct("tg_strided_slice_params", {
        "in_dims": [1] * lead + list(x.shape), "start": [0] * lead + starts, "step": [1] * MAX_RANK,
        "count": [1] * lead + counts, "element_bytes": itemsize,
    })
    return Call("strided_slice", "tg_strided_slice", [params, x, out])
