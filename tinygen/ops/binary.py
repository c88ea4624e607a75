"""ADD, SUB and MUL on int8 or int16 tensors with numpy broadcasting, one kernel for the three."""
from __future__ import annotations

import numpy as np

from tinygen.errors import TinygenError
from tinygen.ir import Op
from tinygen.ops import ACTIVATION, Call, Record, View, define, exact, tiling
from tinygen.ops.broadcast import binary_inplace, strided_walk, views, walk_struct
from tinygen.ops.shapes import broadcast
from tinygen.ops.operands import BINARY
from tinygen.quant import (ACTIVATION_TYPES, TYPE_SUFFIX, activation_range, multiply_by_quantized_multiplier,
                           per_tensor_scales, quantize_multiplier, require_quantized, require_zero_points)

BINARY_PARAMS = Record("tg_binary_params", """
    int32_t op;
    const tg_broadcast_walk *walk;
    int32_t left_shift, a_multiplier, a_shift, b_multiplier, b_shift, multiplier, shift, a_offset,
        b_offset, output_offset, act_min, act_max;
""")

MAX_RANK = 6  # TG_BROADCAST_MAX_RANK in tg_broadcast.h
OPS = {"ADD": 0, "SUB": 1, "MUL": 2}  # tg_binary_op
ADD_LEFT_SHIFT = {"int8": 20, "int16": 15}  # TFLM's headroom for ADD/SUB


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
    left_shift = ADD_LEFT_SHIFT[op.outputs[0].dtype]
    twice_max = 2.0 * max(s1, s2)
    reals = [s1 / twice_max, s2 / twice_max, twice_max / ((1 << left_shift) * so)]
    (m1, sh1), (m2, sh2), (mo, sho) = (_quantize_below_one(op, r) for r in reals)
    return {"left_shift": left_shift, "a_multiplier": m1, "a_shift": sh1, "b_multiplier": m2, "b_shift": sh2,
            "multiplier": mo, "shift": sho}


def _mul_multipliers(op: Op) -> dict:
    s1, s2, so = op.inputs[0].quant.s, op.inputs[1].quant.s, op.outputs[0].quant.s
    multiplier, shift = quantize_multiplier(float(s1) * float(s2) / float(so))
    # MUL does not rescale its inputs first (the kernel reads these fields for ADD/SUB only)
    unused = {"left_shift": 0, "a_multiplier": 0, "a_shift": 0, "b_multiplier": 0, "b_shift": 0}
    return {**unused, "multiplier": multiplier, "shift": shift}


OPERATIONS = {"ADD": np.add, "SUB": np.subtract, "MUL": np.multiply}


@define("ADD", "SUB", "MUL", options=(ACTIVATION,), output_shape=broadcast, takes_activation=True,
        evaluate=exact(lambda op, a, b: OPERATIONS[op.kind](a, b)), tiling=tiling.binary, operands=BINARY)
def lower_binary(op: Op) -> Call:
    a, b, out = op.input(0), op.input(1), op.outputs[0]
    if a is None or b is None:
        raise TinygenError(f"{op.describe()}: needs two inputs")
    dtype = require_quantized(op, ACTIVATION_TYPES, a, b, out)
    per_tensor_scales(op, a, b, out)
    if op.kind == "MUL":
        require_zero_points(op, a, b, out)
    walk = walk_struct(a, b, out)
    if walk.fields["rank"] > MAX_RANK:
        raise TinygenError(f"{op.describe()}: broadcasting {a.shape} with {b.shape} needs {walk.fields['rank']} "
                           f"loop levels; at most {MAX_RANK} are supported")
    act_min, act_max = activation_range(op.options["activation"], out)
    fields = {"op": OPS[op.kind], "walk": walk}
    fields.update(_mul_multipliers(op) if op.kind == "MUL" else _add_sub_multipliers(op))
    fields.update({"a_offset": -a.quant.zp, "b_offset": -b.quant.zp, "output_offset": out.quant.zp,
                   "act_min": act_min, "act_max": act_max})
    tile = views(op)
    if tile is None:
        return Call("binary", f"tg_binary_{TYPE_SUFFIX[dtype]}", [BINARY_PARAMS(fields), a, b, out],
                    macs=out.size, inplace=binary_inplace(a, b, out))
    # A patch tile reading regions of larger buffers: rows of the output, each operand with its own row stride.
    _, rows, cols, channels = out.shape
    fields["walk"] = strided_walk([rows, cols, channels], *[[stride, channels, 1] for _, _, stride in tile])
    operands = [View(buffer, offset) for buffer, offset, _ in tile]
    return Call("binary", f"tg_binary_{TYPE_SUFFIX[dtype]}", [BINARY_PARAMS(fields), *operands, out],
                macs=out.size)


def same_shape_rows(fields: dict) -> tuple[int, int, int, int] | None:
    """(rows, size, a's row stride, b's) of an ADD/SUB/MUL record whose operands have the output's
    shape: dense rows one after another, or (a patch tile's regions of larger buffers) each
    operand's rows their own stride apart; None for a broadcast."""
    walk = fields["walk"].fields if "walk" in fields else fields
    if walk["rank"] > 2 or list(walk["a_stride"])[-1:] != [1] or list(walk["b_stride"])[-1:] != [1]:
        return None
    rows, size = (1, walk["shape"][0]) if walk["rank"] == 1 else walk["shape"]
    a_row, b_row = (size, size) if walk["rank"] == 1 else (walk["a_stride"][0], walk["b_stride"][0])
    return None if 0 in (a_row, b_row) else (int(rows), int(size), int(a_row), int(b_row))


def rescaled_input(fields: dict, operand: str, value: int) -> int:
    """What TFLM's int8 ADD/SUB makes of `value` of operand "a" or "b" before the sum: its offset
    added, shifted left for headroom and scaled to the common scale."""
    return multiply_by_quantized_multiplier((value + fields[f"{operand}_offset"]) * (1 << fields["left_shift"]),
                                            fields[f"{operand}_multiplier"], fields[f"{operand}_shift"])
