"""AVERAGE_POOL_2D: int8 or int16 NHWC; out-of-bounds taps are skipped, not zero-padded. What it shares with
MAX_POOL_2D (max_pool2d.py): the parameters and the in-place bound."""
from __future__ import annotations

from tinygen.errors import TinygenError
from tinygen.ir import Op
from tinygen.ops import Call, Record, Struct, define, tiling
from tinygen.ops.inplace import InPlace, window_inplace
from tinygen.ops.window import POOL_OPTIONS, pool_output_shape, window_padding
from tinygen.ops.operands import IMAGE_TO_IMAGE
from tinygen.quant import ACTIVATION_TYPES, TYPE_SUFFIX, activation_range, require_quantized

POOL2D_PARAMS = Record("tg_pool2d_params", """
    int32_t batches, in_h, in_w, channels, out_h, out_w, filter_h, filter_w, stride_h, stride_w,
        pad_top, pad_left, act_min, act_max;
""")


def _params(op: Op) -> Struct:
    x, out = op.inputs[0], op.outputs[0]
    require_quantized(op, ACTIVATION_TYPES, x, out)
    if len(x.shape) != 4:
        raise TinygenError(f"{op.describe()}: input must be 4-D NHWC, got {x.shape}")
    # TFLM's Prepare refuses pools that would need requantization; they only move or average raw values.
    if float(abs(x.quant.s - out.quant.s)) > 1e-6 or x.quant.zp != out.quant.zp:
        raise TinygenError(f"{op.describe()}: input and output quantization differ "
                           f"({x.quant.s}, {x.quant.zp}) vs ({out.quant.s}, {out.quant.zp})")
    o = op.options
    pad_top, pad_left = window_padding(op, o["filter_height"], o["filter_width"])
    act_min, act_max = activation_range(o["activation"], out)
    return POOL2D_PARAMS({
        "batches": x.shape[0], "in_h": x.shape[1], "in_w": x.shape[2], "channels": x.shape[3],
        "out_h": out.shape[1], "out_w": out.shape[2],
        "filter_h": o["filter_height"], "filter_w": o["filter_width"],
        "stride_h": o["stride_h"], "stride_w": o["stride_w"], "pad_top": pad_top, "pad_left": pad_left,
        "act_min": act_min, "act_max": act_max,
    })


def pool_call(op: Op, kernel: str) -> Call:
    params = _params(op)
    f = params.fields
    inplace = [InPlace(i.input, i.forward) for i in window_inplace(  # the pool kernels run front to back only
        op.inputs[0], op.outputs[0], f["stride_h"], f["stride_w"], f["pad_top"], f["pad_left"], f["filter_h"], f["filter_w"])]
    function = f"tg_{kernel}_{TYPE_SUFFIX[op.outputs[0].dtype]}"
    return Call(kernel, function, [params, op.inputs[0], op.outputs[0]], inplace=inplace)


@define("AVERAGE_POOL_2D", options=POOL_OPTIONS, output_shape=pool_output_shape, takes_activation=True,
        tiling=tiling.window, operands=IMAGE_TO_IMAGE)
def lower_average_pool(op: Op) -> Call:
    return pool_call(op, "avg_pool2d")
