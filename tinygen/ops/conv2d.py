"""CONV_2D: int8 activations, int8 per-channel weights, int32 bias (grouped too), or TFLM's 16x8
mode (int16 activations, int64 or int32 bias); what it shares with DEPTHWISE_CONV_2D
(depthwise_conv2d.py): operand checks, the kernel variant and the common kernel fields."""
from __future__ import annotations

from tinygen.errors import TinygenError
from tinygen.ir import Op
from tinygen.ops import Array, Call, Record, define, tiling
from tinygen.ops.inplace import window_inplace
from tinygen.ops.window import CONV_OPTIONS, conv_cost, conv_output_shape, window_padding
from tinygen.ops.operands import IMAGE, Signature, bias, filters
from tinygen.quant import activation_range, per_channel_multipliers, require_weighted_types

CONV2D_PARAMS = Record("tg_conv2d_params", """
    int32_t batches, in_h, in_w, in_c, out_h, out_w, out_c, filter_c, kernel_h, kernel_w, stride_h,
        stride_w, dilation_h, dilation_w, pad_top, pad_left, input_offset, output_offset, act_min,
        act_max;
    const int32_t *multiplier, *shift;
    const int8_t *weights;
    const void *bias;
    int32_t reverse;
""")
# (input, weights, bias, output) types and the kernel suffix they run; the bias decides the 16x8
# accumulator: int64, or int32 where the model asks for it (TFLM's two ConvPerChannel variants).
CONV_TYPES = {("int8", "int8", "int32", "int8"): "s8", ("int16", "int8", "int64", "int16"): "s16",
              ("int16", "int8", "int32", "int16"): "s16_b32"}


def check_operands(op: Op, supported=CONV_TYPES) -> str:
    """The operands' checks; the suffix of the kernel their types run (a key of `supported`)."""
    x, w, bias, out = op.input(0), op.input(1), op.input(2), op.outputs[0]
    suffix = require_weighted_types(op, supported, x, w, bias, out)
    if not w.is_const:
        raise TinygenError(f"{op.describe()}: weights must be constant")
    if bias is not None and not bias.is_const:
        raise TinygenError(f"{op.describe()}: bias must be a constant tensor")
    if len(x.shape) != 4:
        raise TinygenError(f"{op.describe()}: input must be 4-D NHWC, got {x.shape}")
    if any(int(z) != 0 for z in w.quant.zero_point):
        raise TinygenError(f"{op.describe()}: weights must be symmetric (zero point 0)")
    return suffix


def common_fields(op: Op, kernel_h: int, kernel_w: int, channels: int) -> dict:
    x, w, out = op.inputs[0], op.inputs[1], op.outputs[0]
    o = op.options
    pad_top, pad_left = window_padding(op, kernel_h, kernel_w, o["dilation_h"], o["dilation_w"])
    multipliers, shifts = per_channel_multipliers(x, w, out, channels)
    act_min, act_max = activation_range(o["activation"], out)
    return {
        "batches": x.shape[0], "in_h": x.shape[1], "in_w": x.shape[2], "in_c": x.shape[3],
        "out_h": out.shape[1], "out_w": out.shape[2], "out_c": out.shape[3],
        "kernel_h": kernel_h, "kernel_w": kernel_w, "stride_h": o["stride_h"], "stride_w": o["stride_w"],
        "dilation_h": o["dilation_h"], "dilation_w": o["dilation_w"], "pad_top": pad_top, "pad_left": pad_left,
        "input_offset": -x.quant.zp, "output_offset": out.quant.zp, "act_min": act_min, "act_max": act_max,
        "multiplier": Array(multipliers, "int32_t"), "shift": Array(shifts, "int32_t"),
        "weights": w, "bias": op.input(2),
        "reverse": 0,  # set by the memory planner when the output overlaps the input from above
    }


def conv_inplace(op: Op, fields: dict) -> list:
    f = fields
    return window_inplace(op.inputs[0], op.outputs[0], f["stride_h"], f["stride_w"], f["pad_top"], f["pad_left"],
                          f["kernel_h"], f["kernel_w"], f["dilation_h"], f["dilation_w"])


@define("CONV_2D", options=CONV_OPTIONS, output_shape=conv_output_shape, takes_activation=True, takes_padding=True,
        tiling=tiling.window, cost=conv_cost,
        operands=Signature((IMAGE, filters(0), bias((1, 0))), output_ranks=(4,)))
def lower_conv2d(op: Op) -> Call:
    suffix = check_operands(op)
    x, w, out = op.inputs[0], op.inputs[1], op.outputs[0]
    out_c, kernel_h, kernel_w, filter_c = w.shape
    if x.shape[3] % filter_c:
        raise TinygenError(f"{op.describe()}: {x.shape[3]} input channels are not a multiple of the "
                           f"weights' {filter_c}")
    fields = common_fields(op, kernel_h, kernel_w, out_c)
    fields["filter_c"] = filter_c
    macs = out.size * kernel_h * kernel_w * filter_c
    return Call("conv2d", f"tg_conv2d_{suffix}", [CONV2D_PARAMS(fields), x, out], macs=macs,
                inplace=conv_inplace(op, fields))
