"""TRANSPOSE_CONV: int8 activations, int8 per-channel (or per-tensor) weights, optional int32 bias;
or 16x8 (int16 activations, int64 bias, or int16 bias which TFLM widens to int64 when it runs).

Inputs are [output_shape, weights (out_c, kh, kw, in_c), input NHWC, bias]. TFLM takes the
output size from the output tensor and derives the padding from it, as a convolution from the
output back to the input would: that is what is reproduced here.
"""
from __future__ import annotations

import numpy as np

from tinygen.errors import TinygenError
from tinygen.ir import Op
from tinygen.ops import ACTIVATION, Array, Call, Record, define
from tinygen.ops.operands import IMAGE, INDICES, Operand, Signature, bias, filters
from tinygen.quant import activation_range, per_channel_multipliers, require_weighted_types

TRANSPOSE_CONV_PARAMS = Record("tg_transpose_conv_params", """
    int32_t batches, in_h, in_w, in_c, out_h, out_w, out_c, kernel_h, kernel_w, stride_h, stride_w,
        pad_top, pad_left, input_offset, output_offset, act_min, act_max;
    const int32_t *multiplier, *shift;
    const int8_t *weights;
    const void *bias;
""")
# (input, weights, bias, output) types and the kernel suffix they run.
TRANSPOSE_CONV_TYPES = {("int8", "int8", "int32", "int8"): "s8", ("int16", "int8", "int64", "int16"): "s16",
                        ("int16", "int8", "int16", "int16"): "s16"}


def _windows(size: int, kernel: int, stride: int, padding: str) -> int:
    """TFLM's ComputeOutSize (C division truncates); negative when it rejects the sizes."""
    if padding == "SAME":
        return (size + stride - 1) // stride
    span = size + stride - kernel
    return span // stride if span >= 0 else -(-span // stride)


def _padding(out_h: int, out_w: int, kernel_h: int, kernel_w: int, stride_h: int, stride_w: int,
             padding: str) -> tuple[int, int]:
    """(top, left) as TFLM's ComputePaddingHeightWidth applied to the output size; it leaves both
    at 0 when either dimension's window count is rejected."""
    windows_h, windows_w = _windows(out_h, kernel_h, stride_h, padding), _windows(out_w, kernel_w, stride_w, padding)
    if windows_h < 0 or windows_w < 0:
        return 0, 0
    return (max(0, (windows_h - 1) * stride_h + kernel_h - out_h) // 2,
            max(0, (windows_w - 1) * stride_w + kernel_w - out_w) // 2)


def _check(op: Op) -> str:
    """The operands' checks; the suffix of the kernel their types run."""
    w, x, bias, out = op.input(1), op.input(2), op.input(3), op.outputs[0]
    if w is None or x is None:
        raise TinygenError(f"{op.describe()}: needs weights and an input")
    suffix = require_weighted_types(op, TRANSPOSE_CONV_TYPES, x, w, bias, out)
    if not w.is_const:
        raise TinygenError(f"{op.describe()}: weights must be constant")
    if bias is not None and (not bias.is_const or bias.size != w.shape[0]):
        raise TinygenError(f"{op.describe()}: bias must be a constant tensor of {w.shape[0]} values "
                           f"(got {bias.shape})")
    if len(x.shape) != 4 or len(w.shape) != 4 or len(out.shape) != 4:
        raise TinygenError(f"{op.describe()}: input, weights and output must be 4-D")
    if x.shape[0] != out.shape[0] or x.shape[3] != w.shape[3] or w.shape[0] != out.shape[3]:
        raise TinygenError(f"{op.describe()}: shapes do not fit: input {x.shape}, weights {w.shape}, "
                           f"output {out.shape}")
    if any(int(z) != 0 for z in w.quant.zero_point):
        raise TinygenError(f"{op.describe()}: weights must be symmetric (zero point 0)")
    if w.quant.per_channel and (w.quant.axis != 0 or len(w.quant.scale) != w.shape[0]):
        raise TinygenError(f"{op.describe()}: per-channel weights must be quantized along the output channels")
    if x.quant.per_channel or out.quant.per_channel:
        raise TinygenError(f"{op.describe()}: per-channel quantized activations are not supported")
    o = op.options
    if o["stride_h"] < 1 or o["stride_w"] < 1:
        raise TinygenError(f"{op.describe()}: strides must be positive (got {o['stride_h']}, {o['stride_w']})")
    return suffix


def _bias(op: Op):
    """The bias as the kernel reads it: an int16 one widened to int64, as TFLM does before each run."""
    bias = op.input(3)
    if bias is not None and bias.dtype == "int16":
        return Array(bias.data.astype(np.int64), "int64_t")
    return bias


@define("TRANSPOSE_CONV", options=(("padding", "b", 0), ("stride_w", "i", 0), ("stride_h", "i", 0), ACTIVATION,
                                       ("quantized_bias_type", "b", 0)), takes_activation=True,
        operands=Signature((Operand(ranks=(1,), dtypes=INDICES), filters(0), IMAGE, bias((1, 0))), output_ranks=(4,)))
def lower_transpose_conv(op: Op) -> Call:
    suffix = _check(op)
    w, x, out, o = op.inputs[1], op.inputs[2], op.outputs[0], op.options
    out_c, kernel_h, kernel_w, in_c = w.shape
    multipliers, shifts = per_channel_multipliers(x, w, out, out_c)
    act_min, act_max = activation_range(o["activation"], out)
    pad_top, pad_left = _padding(out.shape[1], out.shape[2], kernel_h, kernel_w, o["stride_h"], o["stride_w"],
                                 o["padding"])
    params = TRANSPOSE_CONV_PARAMS({
        "batches": x.shape[0], "in_h": x.shape[1], "in_w": x.shape[2], "in_c": in_c,
        "out_h": out.shape[1], "out_w": out.shape[2], "out_c": out_c,
        "kernel_h": kernel_h, "kernel_w": kernel_w, "stride_h": o["stride_h"], "stride_w": o["stride_w"],
        "pad_top": pad_top, "pad_left": pad_left,
        "input_offset": -x.quant.zp, "output_offset": out.quant.zp, "act_min": act_min, "act_max": act_max,
        "multiplier": Array(multipliers, "int32_t"), "shift": Array(shifts, "int32_t"),
        "weights": w, "bias": _bias(op),
    })
    return Call("transpose_conv", f"tg_transpose_conv_{suffix}", [params, x, out],
                macs=x.size * out_c * kernel_h * kernel_w)
