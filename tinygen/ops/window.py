"""What sliding-window ops (convolutions and pools) share: TFLM's padding rule, option tables and
output shapes."""
from __future__ import annotations

from tinygen.ir import Op
from tinygen.ops import ACTIVATION
from tinygen.ops.shapes import window_output_size


def _leading_pad(size: int, out: int, kernel: int, stride: int, dilation: int) -> int:
    effective = (kernel - 1) * dilation + 1
    return max(0, (out - 1) * stride + effective - size) // 2


def window_padding(op: Op, kernel_h: int, kernel_w: int, dilation_h: int = 1, dilation_w: int = 1) -> tuple[int, int]:
    """(pad_top, pad_left) for a 4-D NHWC window op, including any PAD folded into it.

    A tile of patch-based inference carries its own origin: the padding that puts its first
    output pixel's window where it lies in the tile's input buffer (negative inside the image).
    """
    if "window_origin" in op.options:
        return op.options["window_origin"]
    _, in_h, in_w, _ = op.inputs[0].shape
    _, out_h, out_w, _ = op.outputs[0].shape
    top, bottom, left, right = op.options.get("explicit_padding", (0, 0, 0, 0))
    pad_h = _leading_pad(in_h + top + bottom, out_h, kernel_h, op.options["stride_h"], dilation_h)
    pad_w = _leading_pad(in_w + left + right, out_w, kernel_w, op.options["stride_w"], dilation_w)
    return top + pad_h, left + pad_w


# Defaults are the schema's: what TFLM reads where a field is absent (a stride of 0 it refuses).
CONV_OPTIONS = (("padding", "b", 0), ("stride_w", "i", 0), ("stride_h", "i", 0), ACTIVATION,
                ("dilation_w", "i", 1), ("dilation_h", "i", 1), ("quantized_bias_type", "b", 0))
DEPTHWISE_OPTIONS = (("padding", "b", 0), ("stride_w", "i", 0), ("stride_h", "i", 0), ("depth_multiplier", "i", 0),
                     ACTIVATION, ("dilation_w", "i", 1), ("dilation_h", "i", 1))
POOL_OPTIONS = (("padding", "b", 0), ("stride_w", "i", 0), ("stride_h", "i", 0), ("filter_width", "i", 0),
                ("filter_height", "i", 0), ACTIVATION)


def _padded(op: Op, h: int, w: int) -> tuple[int, int]:
    top, bottom, left, right = op.options.get("explicit_padding", (0, 0, 0, 0))
    return h + top + bottom, w + left + right


def conv_output_shape(op: Op):
    n, h, w, _ = op.inputs[0].shape
    h, w = _padded(op, h, w)
    kh, kw = op.inputs[1].shape[1:3]
    o = op.options
    oh = window_output_size(h, kh, o["stride_h"], o["dilation_h"], o["padding"])
    ow = window_output_size(w, kw, o["stride_w"], o["dilation_w"], o["padding"])
    channels = op.inputs[1].shape[0] if op.kind == "CONV_2D" else op.inputs[1].shape[3]
    return n, oh, ow, channels


def pool_output_shape(op: Op):
    n, h, w, c = op.inputs[0].shape
    o = op.options
    return (n, window_output_size(h, o["filter_height"], o["stride_h"], 1, o["padding"]),
            window_output_size(w, o["filter_width"], o["stride_w"], 1, o["padding"]), c)


def conv_cost(op: Op) -> str:
    return "pointwise" if op.inputs[1].shape[1] == op.inputs[1].shape[2] == 1 else "conv"


def sliding_window(op: Op) -> tuple[tuple[int, int], tuple[int, int], tuple[int, int]]:
    """(kernel, stride, dilation) of a convolution (its weights' window) or a pool (its filter)."""
    o = op.options
    if "filter_height" in o:
        return (o["filter_height"], o["filter_width"]), (o["stride_h"], o["stride_w"]), (1, 1)
    return tuple(op.inputs[1].shape[1:3]), (o["stride_h"], o["stride_w"]), (o["dilation_h"], o["dilation_w"])


CONV_GEOMETRY = ("batches", "in_h", "in_w", "in_c", "out_h", "out_w", "out_c", "kernel_h", "kernel_w", "stride_h",
                 "stride_w", "dilation_h", "dilation_w", "pad_top", "pad_left")


def conv_geometry(fields: dict) -> dict:
    """The shapes, strides, dilations and padding of a lowered convolution record."""
    return {name: fields[name] for name in CONV_GEOMETRY}


def is_pointwise(fields: dict, x) -> bool:
    """A 1x1 window without padding whose every tap lies inside input `x`: a kernel may read each
    output pixel's input pixel directly instead of copying windows."""
    return (fields["kernel_h"] == fields["kernel_w"] == 1 and fields["pad_top"] <= 0 and fields["pad_left"] <= 0
            and (fields["out_h"] - 1) * fields["stride_h"] - fields["pad_top"] < x.shape[1]
            and (fields["out_w"] - 1) * fields["stride_w"] - fields["pad_left"] < x.shape[2])


def _inner(out_size: int, in_size: int, stride: int, pad: int, kernel: int, dilation: int) -> tuple[int, int]:
    """The output positions whose window lies inside the input, as [first, last + 1)."""
    inside = [o for o in range(out_size)
              if o * stride - pad >= 0 and o * stride - pad + (kernel - 1) * dilation < in_size]
    return (inside[0], inside[-1] + 1) if inside else (0, 0)


def depthwise_geometry(fields: dict, x) -> dict:
    """A lowered depthwise record's shapes, strides, padding and input offset, and the output rows
    and columns [inner_*0, inner_*1) whose windows lie inside input `x` (a kernel runs them
    without bounds checks)."""
    inner_y = _inner(fields["out_h"], x.shape[1], fields["stride_h"], fields["pad_top"], fields["kernel_h"],
                     fields["dilation_h"])
    inner_x = _inner(fields["out_w"], x.shape[2], fields["stride_w"], fields["pad_left"], fields["kernel_w"],
                     fields["dilation_w"])
    geometry = {name: fields[name] for name in ("batches", "in_h", "in_w")}
    geometry["channels"] = x.shape[3]
    geometry.update({name: fields[name] for name in ("out_h", "out_w", "kernel_h", "kernel_w", "stride_h", "stride_w",
                                                      "dilation_h", "dilation_w", "pad_top", "pad_left",
                                                      "input_offset")})
    geometry.update({"inner_y0": inner_y[0], "inner_y1": inner_y[1], "inner_x0": inner_x[0], "inner_x1": inner_x[1]})
    return geometry
