"""Arm's CMSIS-NN library as a kernel backend (`--kernels cmsis-nn`).

CMSIS-NN is TFLite Micro's optimized kernel set for Cortex-M: its int8 functions compute TFLM's
reference arithmetic (TFLM's default double rounding: a rounding doubling high multiply, then a
rounding right shift; CMSIS-NN unless built with CMSIS_NN_USE_SINGLE_ROUNDING), so swapping a
reference call for one keeps the outputs bit-exact. Where CMSIS-NN has the op:

    CONV_2D            arm_convolve_wrapper_s8 (1x1, 1xN or im2col convolution)
    DEPTHWISE_CONV_2D  arm_depthwise_conv_wrapper_s8
    FULLY_CONNECTED    arm_fully_connected_s8, arm_fully_connected_per_channel_s8
    AVERAGE_POOL_2D    arm_avgpool_s8
    MAX_POOL_2D        arm_max_pool_s8
    SOFTMAX            arm_softmax_s8, arm_softmax_s8_s16 (int16 output)
    ADD, MUL           arm_elementwise_add_s8, arm_elementwise_mul_s8 (operands of one size)
    SVDF               arm_svdf_state_s16_s8 (an int16 state of zero point 0)

the call goes to a small wrapper in tinygen/kernels/cmsis_nn/cmsis_nn_glue.c; every other op, and a
layer CMSIS-NN would not take as it is (negative padding inside a patch-based tile, broadcasting,
a window its kernel would read out of bounds), keeps its reference call.

CMSIS-NN is not shipped with tinygen: users clone it (Apache-2.0) and pass its path
(`--cmsis-nn PATH`, by default the TINYGEN_CMSIS_NN environment variable). Builds then compile the
library's Source/ files the glue needs (build_needs); PlatformIO projects fetch a
pinned release instead (PLATFORMIO_LIB_DEPS).

Scratch buffers: the sizes CMSIS-NN's *_get_buffer_size functions return are computed here at
generation time, so that the memory planner places and counts them. They depend on the code
path the compiler selects (`path`): portable C on the host ("c"); the DSP-extension code on
Cortex-M cores (ARM_MATH_DSP, from __ARM_FEATURE_DSP: "dsp"; its sizes are never below the
portable ones, so every Cortex-M board gets them); Helium on cores with MVE (ARM_MATH_MVEI,
"mve": the *_get_buffer_size_mve sizes). Helium's fully connected kernels also read per unit
bias + input_offset * sum(weights) from the context buffer (what arm_vector_sum_s8 computes at
run time in TFLM): a constant array here. Helium's kernels walk windows in their own order
(several output pixels per pass, the depthwise one 124 channels at a time), so their calls
declare no in-place overlap.
"""
from __future__ import annotations

import functools
import math
import re
from pathlib import Path

import numpy as np

from tinygen.backends import BuildNeeds
from tinygen.errors import TinygenError
from tinygen.ir import Op
from tinygen.kernels import kernel_file
from tinygen.ops import Array, Call, Record, Scratch
from tinygen.ops.broadcast import views
from tinygen.ops.inplace import InPlace, elementwise_inplace, window_inplace

CONV_PARAMS = Record("tg_cmsis_conv_params", """
    int32_t batches, in_h, in_w, in_c, out_h, out_w, out_c, filter_c, kernel_h, kernel_w, stride_h,
        stride_w, dilation_h, dilation_w, pad_top, pad_left, input_offset, output_offset, act_min,
        act_max;
    const int32_t *multiplier, *shift;
    const int8_t *weights;
    const int32_t *bias;
    int32_t scratch_bytes, input_skip;
""")
DEPTHWISE_PARAMS = Record("tg_cmsis_depthwise_params", """
    int32_t batches, in_h, in_w, in_c, out_h, out_w, out_c, depth_multiplier, kernel_h, kernel_w,
        stride_h, stride_w, dilation_h, dilation_w, pad_top, pad_left, input_offset, output_offset,
        act_min, act_max;
    const int32_t *multiplier, *shift;
    const int8_t *weights;
    const int32_t *bias;
    int32_t scratch_bytes, input_skip;
""")
FULLY_CONNECTED_PARAMS = Record("tg_cmsis_fully_connected_params", """
    int32_t batches, depth, units, input_offset, output_offset, act_min, act_max, per_channel;
    const int32_t *multiplier, *shift;
    const int8_t *weights;
    const int32_t *bias, *kernel_sum;
""")
POOL_PARAMS = Record("tg_cmsis_pool_params", """
    int32_t batches, in_h, in_w, channels, out_h, out_w, filter_h, filter_w, stride_h, stride_w,
        pad_top, pad_left, act_min, act_max, scratch_bytes, input_skip;
""")
SOFTMAX_PARAMS = Record("tg_cmsis_softmax_params", """
    int32_t rows, depth, input_multiplier, input_left_shift, diff_min;
""")
SVDF_PARAMS = Record("tg_cmsis_svdf_params", """
    int32_t batches, input_size, filters, units, rank, memory, input_zero_point, output_zero_point,
        feature_multiplier, feature_shift, output_multiplier, output_shift;
    const int8_t *weights_feature;
    const int16_t *weights_time;
    const int32_t *bias;
""")
ELEMENTWISE_PARAMS = Record("tg_cmsis_elementwise_params", """
    int32_t size, a_offset, b_offset, output_offset, act_min, act_max, left_shift, a_multiplier,
        a_shift, b_multiplier, b_shift, multiplier, shift;
""")

ENV = "TINYGEN_CMSIS_NN"  # the command line's default for --cmsis-nn
MISSING = ("--kernels cmsis-nn needs a CMSIS-NN checkout: --cmsis-nn PATH "
           "(git clone https://github.com/ARM-software/CMSIS-NN)")
GLUE = "cmsis_nn_glue"
# What PlatformIO projects depend on: the newest CMSIS-NN release, fetched by git on the first
# build. Named, so that PlatformIO installs it as .pio/libdeps/<env>/CMSIS-NN (cmsis_nn_build.py).
RELEASE = "v7.0.0"
PLATFORMIO_LIB_DEPS = f"CMSIS-NN=https://github.com/ARM-software/CMSIS-NN.git#{RELEASE}"
PLATFORMIO_SCRIPT = "cmsis_nn_build.py"
CH_IN_BLOCK_MVE = 124  # channels per pass of Helium's depthwise kernel (arm_nnsupportfunctions.h)
MAX_DIM = 32767  # CMSIS-NN keeps some sizes and window origins in 16-bit integers


def cmsis_nn_path(checkout: str | None) -> Path:
    """The CMSIS-NN checkout (CompileOptions.cmsis_nn), checked."""
    if not checkout or not str(checkout).strip():
        raise TinygenError(MISSING)
    root = Path(checkout).expanduser()
    if not (root / "Include" / "arm_nnfunctions.h").is_file() or not (root / "Source").is_dir():
        raise TinygenError(f"{root} has no Include/arm_nnfunctions.h and Source/: {MISSING}")
    return root.resolve()


# ---------------------------------------------------------------------------------------------
# Lowering: reference call -> CMSIS-NN call


def specialize(op: Op, call: Call, options, target) -> Call:
    cmsis_nn_path(options.cmsis_nn)  # fail now, in one line, when the library is missing
    path = _path(target)
    swap = _SWAPS.get(call.kernel)
    if swap is None:
        return call
    return swap(op, call, path) or call


def _path(target) -> str:
    """CMSIS-NN's code path on the target: "mve" (Helium), "dsp" (other Cortex-M), "c" (the host)."""
    if target.has_mve:
        return "mve"
    return "dsp" if target.is_cortex_m else "c"


def _fits(*values: int) -> bool:
    return all(0 <= v <= MAX_DIM for v in values)


def _window_view(f: dict, kernel_h: int, kernel_w: int, dilation_h: int = 1, dilation_w: int = 1) -> dict | None:
    """The geometry to hand CMSIS-NN, which takes padding as unsigned: a patch-based tile whose
    windows start inside its input (negative padding) reads from a later input address instead.
    Skipped rows shorten the input; skipped columns cannot (the width is also the row stride), so
    that only works when no window reaches past the input's right edge. None: not expressible."""
    skip_rows, skip_cols = max(0, -f["pad_top"]), max(0, -f["pad_left"])
    last_column = (f["out_w"] - 1) * f["stride_w"] - f["pad_left"] + (kernel_w - 1) * dilation_w
    if skip_cols and last_column >= f["in_w"]:
        return None
    if skip_rows >= f["in_h"] or skip_cols >= f["in_w"]:
        return None
    channels = f.get("in_c", f.get("channels"))
    return {"in_h": f["in_h"] - skip_rows, "pad_top": f["pad_top"] + skip_rows, "pad_left": f["pad_left"] + skip_cols,
            "input_skip": (skip_rows * f["in_w"] + skip_cols) * channels}


def _forward(entries: list) -> list:
    """In-place bounds for a kernel that only runs front to back."""
    return [InPlace(i.input, i.forward) for i in entries]


def conv_scratch_bytes(f: dict, path: str = "dsp") -> int:
    """arm_convolve_wrapper_s8_get_buffer_size: the DSP and the portable code agree, Helium has its own.

    A 1x1 convolution without padding multiplies the input in place (0 bytes; compiled with
    armclang its DSP code could take a buffer, which a NULL buffer declines). Everything else
    runs arm_convolve_s8 outside Helium (the 1xN kernel too): two im2col columns of 16-bit values."""
    if _is_1x1(f):
        return 0
    rhs_cols = f["kernel_h"] * f["kernel_w"] * f["in_c"]  # input channels, even when grouped
    if path == "mve":
        return _conv_1_x_n_scratch_mve(f) if _is_1_x_n(f) else _conv_scratch_mve(rhs_cols)
    return 2 * (-(-rhs_cols // 4) * 4) * 2


def _conv_scratch_mve(rhs_cols: int) -> int:
    """arm_convolve_s8_get_buffer_size_mve: four int8 im2col columns, whole vectors of 16."""
    return 4 * -(-rhs_cols // 16) * 16


def _is_1_x_n(f: dict) -> bool:
    """arm_nn_is_convolve_1_x_n."""
    return (f["in_h"] == 1 and f["dilation_w"] == 1 and f["kernel_h"] == 1 and (f["stride_w"] * f["in_c"]) % 4 == 0
            and f["in_c"] == f["filter_c"])


def _conv_1_x_n_scratch_mve(f: dict) -> int:
    """arm_convolve_1_x_n_s8_get_buffer_size_mve: room for the padded windows at either edge, or
    arm_convolve_s8's columns where the output does not split into padded and unpadded parts."""
    c, pad, stride, kernel = f["in_c"], f["pad_left"], f["stride_w"], f["kernel_w"]
    total_pad = (f["out_w"] - 1) * stride + kernel - f["in_w"]  # negative for a window short of the edge
    asym = int(math.fmod(total_pad, 2))  # C's remainder and quotients: towards zero
    right = max(1, int((pad + asym + stride - 1) / stride)) if pad + asym else 0
    left = max(1, int((pad + stride - 1) / stride)) if pad else 0
    if left + right + max(f["out_w"] - (left + right), 0) != f["out_w"]:
        return _conv_scratch_mve(kernel * c)
    left_pad_bytes = pad * c
    right_pad_bytes = right * c if asym else left_pad_bytes
    return max(kernel * c + left_pad_bytes, kernel * c - c + right_pad_bytes)


def _is_1x1(f: dict) -> bool:
    """arm_nn_is_convolve_1x1: the wrapper's pointwise case."""
    return (f["pad_top"] == 0 and f["pad_left"] == 0 and f["kernel_h"] == f["kernel_w"] == 1
            and f["dilation_h"] == f["dilation_w"] == 1 and f["in_c"] == f["filter_c"])


def _window_fields(original: dict) -> dict | None:
    """A window op's fields as CMSIS-NN sees them (dilation as a view of the input), or None when
    its kernels cannot run the layer."""
    view = _window_view(original, original["kernel_h"], original["kernel_w"], original["dilation_h"],
                        original["dilation_w"])
    if view is None:
        return None
    f = {**original, **view}
    fits = _fits(f["pad_top"], f["pad_left"], f["in_h"], f["in_w"], f["in_c"], f["out_h"], f["out_w"], f["out_c"],
                 f["kernel_h"], f["kernel_w"], f["stride_h"], f["stride_w"])
    return f if fits else None


def _conv(op: Op, call: Call, path: str) -> Call | None:
    original = call.args[0].fields
    x, out = op.inputs[0], op.outputs[0]
    f = _window_fields(original)
    if f is None:
        return None
    groups = f["in_c"] // f["filter_c"]
    if f["out_c"] % groups:
        return None
    if _is_1x1(f) and f["stride_h"] == f["stride_w"] == 1 and (f["in_h"], f["in_w"]) != (f["out_h"], f["out_w"]):
        return None  # arm_convolve_1x1_s8_fast maps input pixel i to output pixel i
    scratch = conv_scratch_bytes(f, path)
    bias = f["bias"] if f["bias"] is not None else Array(np.zeros(f["out_c"], np.int32), "int32_t")
    fields = {k: f[k] for k in ("batches", "in_h", "in_w", "in_c", "out_h", "out_w", "out_c", "filter_c", "kernel_h",
                                "kernel_w", "stride_h", "stride_w", "dilation_h", "dilation_w", "pad_top", "pad_left",
                                "input_offset", "output_offset", "act_min", "act_max", "multiplier", "shift",
                                "weights", "input_skip")}
    fields.update({"bias": bias, "scratch_bytes": scratch})
    # How the wrapper's kernels walk the image (the same outside Helium, DSP or not):
    # - 1x1, stride 1: one matrix product over all pixels, output channels two at a time, so each
    #   pass re-reads the whole input: no overlap;
    # - 1x1, strided: that product one output row at a time;
    # - otherwise the windows of two output pixels are copied (im2col), then both pixels written;
    #   a grouped convolution walks the image once per group: no overlap.
    if path == "mve":
        block = None
    elif _is_1x1(f):
        stride_1 = f["stride_h"] == f["stride_w"] == 1
        block = None if stride_1 else f["out_w"]
    else:
        block = 2 if groups == 1 else None
    o = original
    inplace = [] if block is None else _forward(window_inplace(
        x, out, o["stride_h"], o["stride_w"], o["pad_top"], o["pad_left"], o["kernel_h"], o["kernel_w"],
        o["dilation_h"], o["dilation_w"], block=block))
    return Call(GLUE, "tg_cmsis_conv_s8", [CONV_PARAMS(fields), x, out,
                                           Scratch(scratch) if scratch else None],
                macs=call.macs, inplace=inplace)


def depthwise_scratch_bytes(f: dict, path: str) -> int:
    """arm_depthwise_conv_wrapper_s8_get_buffer_size: the DSP code's arm_depthwise_conv_s8_opt
    keeps a window of 16-bit values for all channels; its 3x3 kernel and the portable code need none."""
    if path == "mve":
        return _depthwise_scratch_mve(f)
    if path != "dsp" or not _depthwise_opt(f):
        return 0
    if _depthwise_3x3(f):
        return 0
    return f["in_c"] * f["kernel_h"] * f["kernel_w"] * 2


def _depthwise_scratch_mve(f: dict) -> int:
    """arm_depthwise_conv_wrapper_s8_get_buffer_size_mve: four windows of 124 channels for
    arm_depthwise_conv_s8_opt; one input channel runs as a convolution (arm_depthwise_conv_to_conv_s8,
    GCC's threshold of more than one output channel), with the reordered weights in the buffer too."""
    size = 4 * CH_IN_BLOCK_MVE * f["kernel_h"] * f["kernel_w"] if _depthwise_opt(f) and f["in_c"] == f["out_c"] else 0
    if f["in_c"] == 1 and f["out_c"] > 1:
        as_conv = {**f, "filter_c": 1}
        size = max(size, conv_scratch_bytes(as_conv, "mve") + f["kernel_h"] * f["kernel_w"] * f["out_c"])
    return size


def _depthwise_opt(f: dict) -> bool:
    return f["depth_multiplier"] == 1 and f["batches"] == 1 and f["dilation_h"] == f["dilation_w"] == 1


def _depthwise_3x3(f: dict) -> bool:
    """The wrapper's choice of arm_depthwise_conv_3x3_s8 (outside Helium)."""
    return _depthwise_opt(f) and f["kernel_h"] == f["kernel_w"] == 3 and f["pad_top"] <= 1 and f["pad_left"] <= 1


def _depthwise(op: Op, call: Call, path: str) -> Call | None:
    original = call.args[0].fields
    x, out = op.inputs[0], op.outputs[0]
    f = _window_fields(original)
    if f is None:
        return None
    # The 3x3 kernel reads the middle column of every window without a bounds check: fine for
    # TFLite's SAME and VALID padding, not for a wider right padding folded in from a PAD op.
    if path != "mve" and _depthwise_3x3(f) and (f["out_w"] - 1) * f["stride_w"] - f["pad_left"] + 1 >= f["in_w"]:
        return None
    scratch = depthwise_scratch_bytes(f, path)
    fields = {k: f[k] for k in ("batches", "in_h", "in_w", "in_c", "out_h", "out_w", "out_c", "depth_multiplier",
                                "kernel_h", "kernel_w", "stride_h", "stride_w", "dilation_h", "dilation_w", "pad_top",
                                "pad_left", "input_offset", "output_offset", "act_min", "act_max", "multiplier",
                                "shift", "weights", "bias", "input_skip")}
    fields["scratch_bytes"] = scratch
    # Every depthwise kernel reads one output pixel's window, then writes that pixel.
    o = original
    inplace = [] if path == "mve" else _forward(window_inplace(
        x, out, o["stride_h"], o["stride_w"], o["pad_top"], o["pad_left"], o["kernel_h"], o["kernel_w"],
        o["dilation_h"], o["dilation_w"]))
    return Call(GLUE, "tg_cmsis_depthwise_s8", [DEPTHWISE_PARAMS(fields), x, out,
                                                Scratch(scratch) if scratch else None],
                macs=call.macs, inplace=inplace)


def _fully_connected(op: Op, call: Call, path: str) -> Call | None:
    f = call.args[0].fields
    multiplier, shift = f["multiplier"], f["shift"]
    # Per-tensor weights repeat one (multiplier, shift): arm_fully_connected_s8 takes it once.
    per_channel = len(set(zip(multiplier.values.tolist(), shift.values.tolist()))) > 1
    if not per_channel:
        multiplier = Array(multiplier.values[:1], "int32_t")
        shift = Array(shift.values[:1], "int32_t")
    fields = {k: f[k] for k in ("batches", "depth", "units", "input_offset", "output_offset", "act_min", "act_max")}
    fields.update({"per_channel": int(per_channel), "multiplier": multiplier, "shift": shift,
                   "weights": f["weights"], "bias": f["bias"],
                   "kernel_sum": _kernel_sums(f) if path == "mve" else None})
    # arm_fully_connected_s8 needs no scratch outside Helium (its kernel-sum buffer is MVE's).
    # Each output reads the whole input row: no overlap.
    return Call(GLUE, "tg_cmsis_fully_connected_s8", [FULLY_CONNECTED_PARAMS(fields),
                                                      op.inputs[0], op.outputs[0]], macs=call.macs)


def _kernel_sums(f: dict) -> Array:
    """What arm_vector_sum_s8 leaves in Helium's kernel-sum buffer: per unit bias + input_offset *
    sum(weights), in int32 arithmetic (wrapping, as the C code does)."""
    weights = f["weights"].data.reshape(f["units"], f["depth"]).astype(np.int64)
    bias = 0 if f["bias"] is None else f["bias"].data.ravel().astype(np.int64)
    sums = (bias + f["input_offset"] * weights.sum(axis=1)) % (1 << 32)
    return Array(sums.astype(np.uint32).view(np.int32), "int32_t")


def avg_pool_scratch_bytes(f: dict, path: str) -> int:
    """arm_avgpool_s8_get_buffer_size: the DSP code sums a window in one int32 per channel (Helium's
    and the portable code need nothing)."""
    return f["channels"] * 4 if path == "dsp" else 0


def _pool_windows_nonempty(f: dict) -> bool:
    for size, out, stride, pad, k in ((f["in_h"], f["out_h"], f["stride_h"], f["pad_top"], f["filter_h"]),
                                      (f["in_w"], f["out_w"], f["stride_w"], f["pad_left"], f["filter_w"])):
        starts = np.arange(out) * stride - pad
        if np.any((starts + k <= 0) | (starts >= size)):
            return False
    return True


def _pool(op: Op, call: Call, path: str) -> Call | None:
    o = call.args[0].fields
    x, out = op.inputs[0], op.outputs[0]
    view = _window_view(o, o["filter_h"], o["filter_w"])
    if view is None:
        return None
    f = {**o, **view}
    if not _fits(f["pad_top"], f["pad_left"], f["in_h"], f["in_w"], f["channels"], f["out_h"], f["out_w"],
                 f["filter_h"], f["filter_w"], f["stride_h"], f["stride_w"]) or not _pool_windows_nonempty(f):
        return None
    if call.kernel == "avg_pool2d":
        scratch = avg_pool_scratch_bytes(f, path)
        f["scratch_bytes"] = scratch
        # One output pixel's window is read (summed), then the pixel written.
        inplace = [] if path == "mve" else _forward(window_inplace(
            x, out, o["stride_h"], o["stride_w"], o["pad_top"], o["pad_left"], o["filter_h"], o["filter_w"]))
        return Call(GLUE, "tg_cmsis_avg_pool_s8", [POOL_PARAMS(f), x, out,
                                                   Scratch(scratch) if scratch else None],
                    macs=call.macs, inplace=inplace)
    f["scratch_bytes"] = 0
    # arm_max_pool_s8 keeps its running maximum in the output: documented as not overlapping the input.
    return Call(GLUE, "tg_cmsis_max_pool_s8", [POOL_PARAMS(f), x, out], macs=call.macs)


def _softmax(op: Op, call: Call, path: str) -> Call | None:
    f = call.args[0].fields
    if not 0 <= f["input_left_shift"] <= 31:
        return None
    # Each row is read three times (maximum, sum of exponentials, outputs): no overlap.
    function = {"tg_softmax_s8": "tg_cmsis_softmax_s8", "tg_softmax_s8_s16": "tg_cmsis_softmax_s8_s16"}[call.function]
    return Call(GLUE, function, [SOFTMAX_PARAMS(dict(f)), op.inputs[0], op.outputs[0]], macs=call.macs)


def _elementwise(op: Op, call: Call, path: str) -> Call | None:
    if op.kind not in ("ADD", "MUL") or views(op) is not None:
        return None  # a patch tile reading regions of larger buffers keeps the strided reference kernel
    a, b, out = op.inputs[0], op.inputs[1], op.outputs[0]
    if not a.size == b.size == out.size:
        return None  # broadcasting: CMSIS-NN walks both operands in step
    f = call.args[0].fields
    fields = {"size": out.size, "a_offset": f["a_offset"], "b_offset": f["b_offset"],
              "output_offset": f["output_offset"], "act_min": f["act_min"], "act_max": f["act_max"],
              "left_shift": f.get("left_shift", 0), "a_multiplier": f.get("a_multiplier", 0),
              "a_shift": f.get("a_shift", 0), "b_multiplier": f.get("b_multiplier", 0), "b_shift": f.get("b_shift", 0),
              "multiplier": f["multiplier"], "shift": f["shift"]}
    # Elements are read (four at a time with DSP) before the same elements are written.
    inplace = [i for t in (a, b) for i in elementwise_inplace(t, out)]
    function = "tg_cmsis_add_s8" if op.kind == "ADD" else "tg_cmsis_mul_s8"
    return Call(GLUE, function, [ELEMENTWISE_PARAMS(fields), a, b, out], macs=call.macs,
                inplace=inplace)


def _svdf(op: Op, call: Call, path: str) -> Call | None:
    f = call.args[0].fields
    if call.function != "tg_svdf_s8_s16" or f["state_zero_point"] != 0:
        return None  # CMSIS-NN's int8-state SVDF wants a kernel-sum buffer; its int16 one assumes zero point 0
    fields = {k: f[k] for k in ("batches", "input_size", "filters", "units", "rank", "memory", "feature_multiplier",
                                "feature_shift", "output_multiplier", "output_shift", "weights_feature",
                                "weights_time", "bias")}
    fields.update(input_zero_point=-f["input_offset"], output_zero_point=f["output_offset"])
    scratch = 4 * f["batches"] * (f["filters"] + f["units"])
    # The output is written after the whole input is read (into the state): no overlap.
    _, x, state, out = call.args
    return Call(GLUE, "tg_cmsis_svdf_s8_s16", [SVDF_PARAMS(fields), x, state, out, Scratch(scratch)],
                macs=call.macs)


_SWAPS = {"conv2d": _conv, "depthwise_conv2d": _depthwise, "fully_connected": _fully_connected,
          "avg_pool2d": _pool, "max_pool2d": _pool, "softmax": _softmax, "binary": _elementwise, "svdf": _svdf}


# ---------------------------------------------------------------------------------------------
# Building: which CMSIS-NN sources a program needs


def uses_cmsis_nn(program) -> bool:
    return any(call.kernel == GLUE or GLUE in call.extra_kernels for _, call in program.calls)


def build_needs(program):
    """For a program that calls the glue: the checkout's C files it needs and its include folder
    (absolute paths), and for PlatformIO projects the pinned release in lib_deps and a pre-build
    script that keeps PlatformIO to its integer sources. Nothing for a program that does not."""
    if not uses_cmsis_nn(program):
        return BuildNeeds()
    root = cmsis_nn_path(program.options.cmsis_nn)
    return BuildNeeds([str(p) for p in library_sources(root)], [str(root / "Include")],
                      {"lib_deps": PLATFORMIO_LIB_DEPS, "extra_script": PLATFORMIO_SCRIPT})


_DEFINED = re.compile(r"^(?!static\b|typedef\b|extern\b|__STATIC|return\b)[A-Za-z_][\w \t*]*?\b([A-Za-z_]\w*)\s*[(\[=]",
                      re.MULTILINE)
_IDENTIFIER = re.compile(r"\b[A-Za-z_]\w*\b")
_COMMENTS = re.compile(r"/\*.*?\*/|//[^\n]*", re.DOTALL)


@functools.lru_cache(maxsize=4)
def library_sources(root: Path) -> tuple[Path, ...]:
    """The integer sources of the checkout that define what the glue calls, and what those call
    in turn: a transitive closure over the global names each file defines and uses. It errs
    towards more files (it ignores #if), never fewer; the float files are left out (they need
    ARM_NN_ENABLE_F32/F16)."""
    sources = sorted(p for p in (Path(root) / "Source").rglob("*.c")
                     if not re.search(r"_(f16|f32|flt)\.c$", p.name))
    defines: dict[str, list[Path]] = {}
    uses: dict[Path, set[str]] = {}
    for path in sources:
        text = _COMMENTS.sub(" ", path.read_text(errors="replace"))
        for name in set(_DEFINED.findall(text)):
            defines.setdefault(name, []).append(path)
        uses[path] = set(_IDENTIFIER.findall(text))
    glue = _COMMENTS.sub(" ", kernel_file(f"{GLUE}.c").read_text())
    called = set(re.findall(r"\b(arm_\w+)\s*\(", glue))
    needed = set(called)
    chosen: set[Path] = set()
    pending = set(needed)
    while pending:
        name = pending.pop()
        for path in defines.get(name, []):
            if path not in chosen:
                chosen.add(path)
                pending |= uses[path] - needed
                needed |= uses[path]
    missing = sorted(n for n in called if n not in defines)
    if missing:
        raise TinygenError(f"{root}: this CMSIS-NN checkout has no {', '.join(missing)} "
                           f"(tinygen needs CMSIS-NN {RELEASE} or newer)")
    return tuple(sorted(chosen))
