"""FULLY_CONNECTED: int8 activations and weights (per-tensor or per-channel), int32 bias; or 16x8
(int16 activations, int64 bias, or int32 where the model asks for an int32 accumulator)."""
from __future__ import annotations

import numpy as np

from tinygen.errors import TinygenError
from tinygen.ir import Op
from tinygen.ops import ACTIVATION, Array, Call, Record, define
from tinygen.ops.operands import ANY, Operand, Signature, bias
from tinygen.ops.shapes import refuse
from tinygen.ops.conv2d import CONV_TYPES
from tinygen.quant import activation_range, per_channel_multipliers, quantize_multiplier, require_weighted_types

FULLY_CONNECTED_PARAMS = Record("tg_fully_connected_params", """
    int32_t batches, depth, units, input_offset, output_offset, act_min, act_max;
    const int32_t *multiplier, *shift;
    const int8_t *weights;
    const void *bias;
""")


def _multipliers(op: Op, units: int) -> tuple[np.ndarray, np.ndarray]:
    x, w, out = op.inputs[0], op.inputs[1], op.outputs[0]
    if w.quant.per_channel:
        return per_channel_multipliers(x, w, out, units)
    # The tflite-micro release used as the oracle widens both scales to double before multiplying
    # (older sources multiplied in float32; the difference is below one LSB in all but rare cases).
    real = float(x.quant.s) * float(w.quant.s) / float(out.quant.s)
    multiplier, shift = quantize_multiplier(real)
    return np.full(units, multiplier, np.int32), np.full(units, shift, np.int32)


def _output_shape(op: Op):
    x, w = op.inputs[0], op.inputs[1]
    units, depth = w.shape
    if x.size % depth or (op.options["keep_num_dims"] and x.shape[-1:] != (depth,)):
        raise refuse(op, f"an input of shape {x.shape} is not rows of the weights' depth {depth}")
    if op.options["keep_num_dims"]:
        return tuple(x.shape[:-1]) + (units,)
    return x.size // depth, units


def _check_bias_scale(op: Op) -> None:
    """TFLM's Prepare (GetQuantizedConvolutionMultipler) refuses a bias not quantized with about
    the input scale times the weight scale: within 2% of the output scale."""
    x, w, bias, out = op.inputs[0], op.inputs[1], op.input(2), op.outputs[0]
    if bias is None or w.quant.per_channel:
        return
    product = float(np.float32(x.quant.s) * np.float32(w.quant.s))  # float32, as TFLM multiplies them
    bias_scale = float(bias.quant.s) if bias.quant is not None else 0.0
    if abs(product - bias_scale) / float(out.quant.s) > 0.02:
        raise TinygenError(f"{op.describe()}: the bias scale {bias_scale:g} is not the input scale times the "
                           f"weight scale ({product:g}); TFLM refuses it")


@define("FULLY_CONNECTED", options=(ACTIVATION, ("weights_format", "b", 0), ("keep_num_dims", "?", False),
                                    ("asymmetric_quantize_inputs", "?", False), ("quantized_bias_type", "b", 0)),
        output_shape=_output_shape, takes_activation=True,
        operands=Signature((ANY, Operand(ranks=(2,), constant=True, channel_axis=0), bias((1, 0)))))
def lower_fully_connected(op: Op) -> Call:
    x, w, bias, out = op.input(0), op.input(1), op.input(2), op.outputs[0]
    suffix = require_weighted_types(op, CONV_TYPES, x, w, bias, out)  # the same type pairs as CONV_2D
    if not w.is_const or len(w.shape) != 2:
        raise TinygenError(f"{op.describe()}: weights must be a constant 2-D tensor")
    if op.options.get("weights_format", 0) != 0:
        raise TinygenError(f"{op.describe()}: shuffled weights format is not supported")
    if bias is not None and not bias.is_const:
        raise TinygenError(f"{op.describe()}: bias must be a constant tensor")
    if any(int(z) != 0 for z in w.quant.zero_point):
        raise TinygenError(f"{op.describe()}: weights must be symmetric (zero point 0)")
    _check_bias_scale(op)
    units, depth = w.shape
    multipliers, shifts = _multipliers(op, units)
    act_min, act_max = activation_range(op.options["activation"], out)
    params = FULLY_CONNECTED_PARAMS({
        "batches": x.size // depth, "depth": depth, "units": units,
        "input_offset": -x.quant.zp, "output_offset": out.quant.zp, "act_min": act_min, "act_max": act_max,
        "multiplier": Array(multipliers, "int32_t"), "shift": Array(shifts, "int32_t"),
        "weights": w, "bias": bias,
    })
    return Call("fully_connected", f"tg_fully_connected_{suffix}", [params, x, out],
                macs=x.size // depth * units * depth)
