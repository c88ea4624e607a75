"""CONV_2D and DEPTHWISE_CONV_2D: int8 activations, int8 per-channel weights, int32 bias."""
from __future__ import annotations

from tinygen.errors import TinygenError
from tinygen.ir import Op
from tinygen.ops import Array, Call, Struct, register
from tinygen.ops.inplace import window_inplace
from tinygen.ops.window import window_padding
from tinygen.quant import activation_range, per_channel_multipliers, require_int8


def _check(op: Op) -> None:
    x, w, bias, out = op.input(0), op.input(1), op.input(2), op.outputs[0]
    require_int8(op, x, w, out)
    if not w.is_const:
        raise TinygenError(f"{op.describe()}: weights must be constant")
    if bias is not None and (bias.dtype != "int32" or not bias.is_const):
        raise TinygenError(f"{op.describe()}: bias must be a constant int32 tensor (got {bias.dtype})")
    if len(x.shape) != 4:
        raise TinygenError(f"{op.describe()}: input must be 4-D NHWC, got {x.shape}")
    if any(int(z) != 0 for z in w.quant.zero_point):
        raise TinygenError(f"{op.describe()}: weights must be symmetric (zero point 0)")


def _common_fields(op: Op, kernel_h: int, kernel_w: int, channels: int) -> dict:
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


def _window_inplace(op: Op, fields: dict) -> list:
    f = fields
    return window_inplace(op.inputs[0], op.outputs[0], f["stride_h"], f["stride_w"], f["pad_top"], f["pad_left"],
                          f["kernel_h"], f["kernel_w"], f["dilation_h"], f["dilation_w"])


@register("CONV_2D")
def lower_conv2d(op: Op) -> Call:
    _check(op)
    x, w, out = op.inputs[0], op.inputs[1], op.outputs[0]
    out_c, kernel_h, kernel_w, filter_c = w.shape
    if x.shape[3] % filter_c:
        raise TinygenError(f"{op.describe()}: {x.shape[3]} input channels are not a multiple of the "
                           f"weights' {filter_c}")
    fields = _common_fields(op, kernel_h, kernel_w, out_c)
    fields["filter_c"] = filter_c
    macs = out.size * kernel_h * kernel_w * filter_c
    return Call("conv2d", "tg_conv2d_s8", [Struct("tg_conv2d_params", fields), x, out], macs=macs,
                inplace=_window_inplace(op, fields))


@register("DEPTHWISE_CONV_2D")
def lower_depthwise_conv2d(op: Op) -> Call:
    _check(op)
    x, w, out = op.inputs[0], op.inputs[1], op.outputs[0]
    _, kernel_h, kernel_w, out_c = w.shape
    if out_c % x.shape[3]:
        raise TinygenError(f"{op.describe()}: {out_c} output channels are not a multiple of {x.shape[3]} inputs")
    fields = _common_fields(op, kernel_h, kernel_w, out_c)
    fields["depth_multiplier"] = out_c // x.shape[3]
    macs = out.size * kernel_h * kernel_w
    return Call("depthwise_conv2d", "tg_depthwise_conv2d_s8",
                [Struct("tg_depthwise_conv2d_params", fields), x, out], macs=macs, inplace=_window_inplace(op, fields))
