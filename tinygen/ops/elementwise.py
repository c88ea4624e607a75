"""ADD, SUB and MUL on int8 tensors with numpy broadcasting, one kernel for the three."""
from __future__ import annotations

from tinygen.errors import TinygenError
from tinygen.ir import Op
from tinygen.ops import Call, Struct, register
from tinygen.ops.inplace import elementwise_inplace
from tinygen.quant import activation_range, quantize_multiplier, require_int8

MAX_RANK = 6  # TG_BINARY_MAX_RANK in binary.h
OPS = {"ADD": 0, "SUB": 1, "MUL": 2}  # tg_binary_op
ADD_LEFT_SHIFT = 20  # TFLM's headroom for int8 ADD/SUB


def broadcast_walk(out_shape, a_shape, b_shape) -> tuple[list[int], list[int], list[int]]:
    """The output as few dims as possible, with each input's element stride along them (0 where
    it broadcasts). Size-1 dims are dropped and a dim is merged into the one outside it when both
    inputs continue contiguously across the boundary."""
    rank = len(out_shape)
    a_shape = (1,) * (rank - len(a_shape)) + tuple(a_shape)
    b_shape = (1,) * (rank - len(b_shape)) + tuple(b_shape)
    dims = []  # innermost first: [size, a stride, b stride]
    a_step, b_step = 1, 1
    for n, a_n, b_n in reversed(list(zip(out_shape, a_shape, b_shape))):
        if n != 1:
            dims.append([n, a_step if a_n == n else 0, b_step if b_n == n else 0])
        a_step *= a_n
        b_step *= b_n
    merged: list[list[int]] = []
    for n, a_stride, b_stride in dims:
        if merged:
            inner = merged[-1]
            if a_stride == inner[1] * inner[0] and b_stride == inner[2] * inner[0]:
                inner[0] *= n
                continue
        merged.append([n, a_stride, b_stride])
    merged = merged[::-1] or [[1, 0, 0]]
    return [d[0] for d in merged], [d[1] for d in merged], [d[2] for d in merged]


def _quantize_below_one(op: Op, real: float) -> tuple[int, int]:
    """TFLM's QuantizeMultiplierSmallerThanOneExp, which refuses anything outside (0, 1)."""
    if not 0.0 < real < 1.0:
        raise TinygenError(f"{op.describe()}: rescale factor {real} is outside (0, 1); the input and output "
                           "scales are too far apart for TFLM's ADD/SUB")
    return quantize_multiplier(real)


def _add_sub_multipliers(op: Op) -> dict:
    """Both inputs to a common scale (half the larger input scale), then that to the output scale.

    In double: the TFLM this is checked against (the tflite-micro package) widens the float32
    scales before dividing for SUB as well as ADD.
    """
    s1, s2, so = (float(t.quant.s) for t in (op.inputs[0], op.inputs[1], op.outputs[0]))
    twice_max = 2.0 * max(s1, s2)
    reals = [s1 / twice_max, s2 / twice_max, twice_max / ((1 << ADD_LEFT_SHIFT) * so)]
    (m1, sh1), (m2, sh2), (mo, sho) = (_quantize_below_one(op, r) for r in reals)
    return {"left_shift": ADD_LEFT_SHIFT, "a_multiplier": m1, "a_shift": sh1, "b_multiplier": m2, "b_shift": sh2,
            "multiplier": mo, "shift": sho}


def _mul_multipliers(op: Op) -> dict:
    s1, s2, so = op.inputs[0].quant.s, op.inputs[1].quant.s, op.outputs[0].quant.s
    multiplier, shift = quantize_multiplier(float(s1) * float(s2) / float(so))
    return {"multiplier": multiplier, "shift": shift}


@register("ADD", "SUB", "MUL")
def lower_binary(op: Op) -> Call:
    a, b, out = op.input(0), op.input(1), op.outputs[0]
    if a is None or b is None:
        raise TinygenError(f"{op.describe()}: needs two inputs")
    require_int8(op, a, b, out)
    if any(t.quant.per_channel for t in (a, b, out)):
        raise TinygenError(f"{op.describe()}: per-channel quantized operands are not supported")
    shape, a_strides, b_strides = broadcast_walk(out.shape, a.shape, b.shape)
    if len(shape) > MAX_RANK:
        raise TinygenError(f"{op.describe()}: broadcasting {a.shape} with {b.shape} needs {len(shape)} "
                           f"loop levels; at most {MAX_RANK} are supported")
    act_min, act_max = activation_range(op.options["activation"], out)
    fields = {"op": OPS[op.kind], "rank": len(shape), "shape": shape, "a_stride": a_strides, "b_stride": b_strides}
    fields.update(_mul_multipliers(op) if op.kind == "MUL" else _add_sub_multipliers(op))
    fields.update({"a_offset": -a.quant.zp, "b_offset": -b.quant.zp, "output_offset": out.quant.zp,
                   "act_min": act_min, "act_max": act_max})
    params = Struct("tg_binary_params", fields)
    # Only an operand with the output's own shape is walked in step with it.
    inplace = [pair for t in (a, b) if tuple(t.shape) == tuple(out.shape) for pair in elementwise_inplace(t, out)]
    return Call("binary", "tg_binary_s8", [params, a, b, out], macs=out.size, inplace=inplace)
