"""DEPTHWISE_CONV_2D: int8 activations, int8 per-channel weights, int32 bias, any depth multiplier;
or 16x8 (int16 activations, int64 bias: TFLM has no int32-bias variant of this one)."""
from __future__ import annotations

from tinygen.errors import TinygenError
from tinygen.ir import Op
from tinygen.ops import Call, Record, define, tiling
from tinygen.ops.conv2d import check_operands, common_fields, conv_inplace
from tinygen.ops.window import DEPTHWISE_OPTIONS, conv_output_shape
from tinygen.ops.operands import IMAGE, Signature, bias, filters

DEPTHWISE_CONV2D_PARAMS = Record("tg_depthwise_conv2d_params", """
    int32_t batches, in_h, in_w, in_c, out_h, out_w, out_c, depth_multiplier, kernel_h, kernel_w,
        stride_h, stride_w, dilation_h, dilation_w, pad_top, pad_left, input_offset, output_offset,
        act_min, act_max;
    const int32_t *multiplier, *shift;
    const int8_t *weights;
    const void *bias;
    int32_t reverse;
""")
DEPTHWISE_TYPES = {("int8", "int8", "int32", "int8"): "s8", ("int16", "int8", "int64", "int16"): "s16"}


@define("DEPTHWISE_CONV_2D", options=DEPTHWISE_OPTIONS, output_shape=conv_output_shape, takes_activation=True,
        takes_padding=True, tiling=tiling.window, cost="depthwise",
        operands=Signature((IMAGE, filters(3), bias((1, 3))), output_ranks=(4,)))
def lower_depthwise_conv2d(op: Op) -> Call:
    suffix = check_operands(op, DEPTHWISE_TYPES)
    x, w, out = op.inputs[0], op.inputs[1], op.outputs[0]
    _, kernel_h, kernel_w, out_c = w.shape
    if out_c % x.shape[3]:
        raise TinygenError(f"{op.describe()}: {out_c} output channels are not a multiple of {x.shape[3]} inputs")
    fields = common_fields(op, kernel_h, kernel_w, out_c)
    fields["depth_multiplier"] = out_c // x.shape[3]
    macs = out.size * kernel_h * kernel_w
    return Call("depthwise_conv2d", f"tg_depthwise_conv2d_{suffix}",
                [DEPTHWISE_CONV2D_PARAMS(fields), x, out], macs=macs, inplace=conv_inplace(op, fields))
