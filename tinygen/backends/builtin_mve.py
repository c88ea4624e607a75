"""The builtin backend's Helium (MVE) kernels, for cores with the M-profile vector extension
(Cortex-M55): tinygen/kernels/builtin/mve_*.h, bit-exact with TFLM like the others.

- CONV_2D, and DEPTHWISE_CONV_2D with one input channel: mve_conv, int8 im2col columns, two
  output pixels by two output channels per pass of VMLADAVA.
- DEPTHWISE_CONV_2D with depth multiplier 1: mve_dwconv, four channels per vector, two pixels
  per pass inside the input, border windows copied with the zero point as padding.
- FULLY_CONNECTED: mve_fc, four units per pass over the input row.
- ADD/SUB of same-shape tensors (or regions of them, row by row): mve_add, each input's rescaling
  tabulated and gathered four elements at a time.
The weights are interleaved here in the order the inner loops read them (zero-padded to 16
values), the input zero point folded into the bias, and the requantization constants laid out as
vectors of four lanes (mve_common.h), kept once for a layer quantized per tensor. Layers these
kernels do not take (grouped convolutions, a folded bias beyond int32) go to the DSP-extension
kernels (tinygen.backends.builtin).
"""
from __future__ import annotations

import numpy as np

from tinygen.ir import Op
from tinygen.ops import Array, Call, Record, Scratch, tile_function
from tinygen.ops.binary import rescaled_input, same_shape_rows
from tinygen.ops.window import conv_geometry, depthwise_geometry, is_pointwise
from tinygen.ops.inplace import window_inplace

CHUNK = 16  # int8 values per vector
RQ_FIELDS = "left_shift, sign_fix, output_offset, act_min, act_max"
MVE_CONV_PARAMS = Record("mve_conv_params", f"""
    int32_t batches, in_h, in_w, in_c, out_h, out_w, out_c, kernel_h, kernel_w, stride_h, stride_w,
        dilation_h, dilation_w, pad_top, pad_left, pointwise, depth, stride16, pad_value, {RQ_FIELDS};
    const int8_t *weights;
    const int32_t *bias, *rq;
    int32_t rq_stride, reverse;
""")
MVE_DWCONV_PARAMS = Record("mve_dwconv_params", f"""
    int32_t batches, in_h, in_w, channels, out_h, out_w, kernel_h, kernel_w, stride_h, stride_w,
        dilation_h, dilation_w, pad_top, pad_left, input_offset, inner_y0, inner_y1, inner_x0, inner_x1,
        {RQ_FIELDS};
    const int8_t *weights;
    const int32_t *bias, *rq;
    int32_t rq_stride, reverse;
""")
MVE_ADD_PARAMS = Record("mve_add_params", f"""
    int32_t rows, size, a_row_stride, b_row_stride, subtract, {RQ_FIELDS};
    const int32_t *a_table, *b_table, *bias, *rq;
""")
MVE_FC_PARAMS = Record("mve_fc_params", f"""
    int32_t batches, depth, units, stride16, {RQ_FIELDS};
    const int8_t *weights;
    const int32_t *bias, *rq;
    int32_t rq_stride;
""")


# The fields every tile of a layer shares (each tile's extent, padding and direction vary), fixed in
# its out-of-line function (MVE_CONV_TILES, MVE_DWCONV_TILES).
MVE_CONV_TILE_FIXED = ("batches", "in_c", "out_c", "kernel_h", "kernel_w", "stride_h", "stride_w", "dilation_h",
                       "dilation_w", "pointwise", "depth", "stride16", "pad_value", "left_shift", "sign_fix",
                       "output_offset", "act_min", "act_max", "rq_stride")
MVE_DWCONV_TILE_FIXED = ("batches", "channels", "kernel_h", "kernel_w", "stride_h", "stride_w", "dilation_h",
                         "dilation_w", "input_offset", "left_shift", "sign_fix", "output_offset", "act_min", "act_max",
                         "rq_stride")


def applies(target) -> bool:
    return target is not None and target.has_mve


def specialize(op: Op, call: Call) -> Call | None:
    """The MVE call for `op`, or None where the DSP-extension kernels keep it."""
    f = call.args[0].fields
    if call.kernel == "conv2d":
        return _conv(op, call, f, f["weights"].data)
    if call.kernel == "depthwise_conv2d" and f["in_c"] == 1:
        return _conv(op, call, f, np.transpose(f["weights"].data, (3, 1, 2, 0)))
    if call.kernel == "depthwise_conv2d" and f["depth_multiplier"] == 1:
        return _depthwise(op, call, f)
    if call.kernel == "fully_connected":
        return _fully_connected(op, call, f)
    if call.kernel == "binary" and op.kind in ("ADD", "SUB"):
        return _add(op, call, f)
    return None


def _round_up(n: int, m: int) -> int:
    return -(-n // m) * m


def _folded(f: dict, rows: np.ndarray) -> np.ndarray | None:
    """bias + input_offset * sum(weights) per channel (rows [channels, depth]), None beyond int32."""
    bias = np.zeros(rows.shape[0], np.int64) if f["bias"] is None else f["bias"].data.ravel().astype(np.int64)
    folded = bias + f["input_offset"] * rows.astype(np.int64).sum(axis=1)
    return None if np.abs(folded).max(initial=0) >= 1 << 31 else folded


def _rq_fields(f: dict, shift: np.ndarray) -> dict:
    return {"left_shift": int((shift > 0).any()), "sign_fix": int(f["act_min"] < f["output_offset"]),
            "output_offset": f["output_offset"], "act_min": f["act_min"], "act_max": f["act_max"]}


def _records(f: dict, folded: np.ndarray, group: int) -> dict:
    """The requantization fields of a kernel whose blocks of `group` channels fill four lanes
    (lane l serves channel block * group + l % group; past the last channel, the last again): per
    block the folded biases and the record ([left shift,] multiplier, -right shift), kept once when
    every block's is the same (rq_stride 0), and the shared fields."""
    channels = folded.shape[0]
    blocks = -(-channels // group)
    multiplier = np.broadcast_to(f["multiplier"].values, (channels,)).astype(np.int64)
    shift = np.broadcast_to(f["shift"].values, (channels,)).astype(np.int64)
    lane = np.minimum(np.arange(blocks)[:, None] * group + np.arange(4)[None, :] % group, channels - 1)
    records = np.stack(_record_vectors(shift, multiplier, lane), axis=1)
    uniform = bool((records == records[:1]).all())
    return {"bias": Array(folded[lane].reshape(-1).astype(np.int32), "int32_t"),
            "rq": Array((records[:1] if uniform else records).reshape(-1).astype(np.int32), "int32_t"),
            "rq_stride": 0 if uniform else records[0].size, **_rq_fields(f, shift)}


def _record_vectors(shift: np.ndarray, multiplier: np.ndarray, lane) -> list[np.ndarray]:
    """A record's vectors for the channels in `lane`: the left shifts (only where some channel
    shifts left, see mve_common.h), the multipliers, the negated right shifts."""
    left = [np.maximum(shift, 0)[lane]] if (shift > 0).any() else []
    return left + [multiplier[lane], np.minimum(shift, 0)[lane]]


def _layer(f: dict, rows: np.ndarray, group: int) -> dict | None:
    """Weights rows [channels, depth] interleaved per `group` channels (a block) and CHUNK values,
    and the requantization records; None when the folded bias leaves int32."""
    channels, depth = rows.shape
    folded = _folded(f, rows)
    if folded is None:
        return None
    rq = _records(f, folded, group)
    blocks, stride16 = -(-channels // group), _round_up(depth, CHUNK)
    padded = np.zeros((blocks * group, stride16), np.int8)
    padded[:channels, :depth] = rows
    weights = padded.reshape(blocks, group, stride16 // CHUNK, CHUNK).transpose(0, 2, 1, 3)
    return {"weights": Array(np.ascontiguousarray(weights).reshape(-1), "int8_t"), "rq": rq, "stride16": stride16}


def _conv(op: Op, call: Call, f: dict, weights: np.ndarray) -> Call | None:
    """mve_conv for weights [out_c, kh, kw, in_c]."""
    x, out = op.inputs[0], op.outputs[0]
    out_c, kh, kw, in_c = weights.shape
    if in_c != x.shape[3]:
        return None  # grouped convolution
    layer = _layer(f, weights.reshape(out_c, -1), 2)
    if layer is None:
        return None
    pointwise = is_pointwise(f, x)
    fields = conv_geometry(f)
    fields.update({"pointwise": int(pointwise), "depth": kh * kw * in_c, "stride16": layer["stride16"],
                   "pad_value": -f["input_offset"], **layer["rq"], "weights": layer["weights"], "reverse": 0})
    # Both pixels' windows are copied before either is written; pairs go front to back or back to front.
    inplace = window_inplace(x, out, f["stride_h"], f["stride_w"], f["pad_top"], f["pad_left"], kh, kw,
                             f["dilation_h"], f["dilation_w"], block=2)
    local = tile_function(op, "MVE_CONV_TILES", "mve_conv_s8", fields, MVE_CONV_TILE_FIXED)
    return Call("mve_conv", local.name if local else "mve_conv_s8_inline",
                [MVE_CONV_PARAMS(fields), x, out, Scratch(2 * layer["stride16"])], macs=call.macs, inplace=inplace,
                sources=(), local=local)


def _depthwise(op: Op, call: Call, f: dict) -> Call | None:
    x, out = op.inputs[0], op.outputs[0]
    _, kh, kw, c = f["weights"].data.shape
    taps = f["weights"].data.reshape(kh * kw, c)
    folded = _folded(f, taps.T)
    if folded is None:
        return None
    rq = _records(f, folded, 4)
    padded = np.zeros((kh * kw, _round_up(c, 4)), np.int8)
    padded[:, :c] = taps
    weights = padded.reshape(kh * kw, -1, 4).transpose(1, 0, 2)  # [group of 4 channels][tap][4]
    fields = depthwise_geometry(f, x)
    fields.update({"weights": Array(np.ascontiguousarray(weights).reshape(-1), "int8_t"), **rq, "reverse": 0})
    # Two pixels of a pair are read channel group by channel group as they are written (none of their
    # outputs on any of their inputs, by the bounds); a border pixel's window is copied first.
    inplace = window_inplace(x, out, f["stride_h"], f["stride_w"], f["pad_top"], f["pad_left"], kh, kw,
                             f["dilation_h"], f["dilation_w"], block=2)
    local = tile_function(op, "MVE_DWCONV_TILES", "mve_dwconv_s8", fields, MVE_DWCONV_TILE_FIXED)
    return Call("mve_dwconv", local.name if local else "mve_dwconv_s8_inline",
                [MVE_DWCONV_PARAMS(fields), x, out, Scratch(kh * kw * c)], macs=call.macs, inplace=inplace,
                sources=(), local=local)


def _function(op: Op, name: str) -> str:
    """The always-inline body for a layer-based call, the out-of-line one (its own source file)
    for a call made once per tile of a patch-based stage."""
    return name if op.options.get("in_tile") else f"{name}_inline"


def _fully_connected(op: Op, call: Call, f: dict) -> Call | None:
    units, depth = f["units"], f["depth"]
    layer = _layer(f, f["weights"].data.reshape(units, depth), 4)
    if layer is None:
        return None
    fields = {"batches": f["batches"], "depth": depth, "units": units, "stride16": layer["stride16"],
              **layer["rq"], "weights": layer["weights"]}
    return Call("mve_fc", "mve_fc_s8_inline", [MVE_FC_PARAMS(fields), call.args[1], call.args[2]],
                macs=call.macs, sources=())


def _add(op: Op, call: Call, f: dict) -> Call | None:
    """Same-shape ADD/SUB (tinygen.ops.binary.same_shape_rows); broadcasts keep the reference kernel."""
    layout = same_shape_rows(f)
    if layout is None:
        return None
    rows, size, a_row, b_row = layout
    bits = np.arange(256, dtype=np.uint8).view(np.int8)  # the int8 value of each index

    def table(operand: str) -> Array:
        return Array(np.array([rescaled_input(f, operand, int(v)) for v in bits], np.int32), "int32_t")

    shift = np.array([f["shift"]], np.int64)
    record = np.stack(_record_vectors(shift, np.array([f["multiplier"]], np.int64), np.zeros(4, np.int64)))
    fields = {"rows": rows, "size": size, "a_row_stride": a_row, "b_row_stride": b_row,
              "subtract": int(op.kind == "SUB"), **_rq_fields(f, shift),
              "a_table": table("a"), "b_table": table("b"),
              "bias": Array(np.zeros(4, np.int32), "int32_t"), "rq": Array(record.reshape(-1).astype(np.int32), "int32_t")}
    function = _function(op, "mve_add_s8")
    a, b, out = call.args[1], call.args[2], call.args[3]
    return Call("mve_add", function, [MVE_ADD_PARAMS(fields), a, b, out], macs=call.macs, inplace=call.inplace,
                sources=() if function.endswith("_inline") else (function,))
