"""The builtin backend's Helium (MVE) kernels, for cores with the M-profile vector extension
(Cortex-M55): tinygen/kernels/builtin/mve_*.h, bit-exact with TFLM like the others.

- CONV_2D, and DEPTHWISE_CONV_2D with one input channel: mve_conv, int8 im2col columns, two
  output pixels by two output channels per pass of VMLADAVA.
- FULLY_CONNECTED: mve_fc, four units per pass over the input row.
The weights are interleaved here in the order the inner loops read them (zero-padded to 16
values), the input zero point folded into the bias, and the requantization constants laid out as
vectors of four lanes (mve_common.h). Layers these kernels do not take (grouped convolutions, a
folded bias beyond int32) go to the DSP-extension kernels (tinygen.backends.builtin).
"""
from __future__ import annotations

import numpy as np

from tinygen.ir import Op
from tinygen.ops import Array, Call, Record, Scratch
from tinygen.ops.inplace import InPlace, window_inplace

CHUNK = 16  # int8 values per vector
RQ_FIELDS = "left_shift, sign_fix, output_offset, act_min, act_max"
MVE_CONV_PARAMS = Record("mve_conv_params", f"""
    int32_t batches, in_h, in_w, in_c, out_h, out_w, out_c, kernel_h, kernel_w, stride_h, stride_w,
        dilation_h, dilation_w, pad_top, pad_left, pointwise, depth, stride16, pad_value, {RQ_FIELDS};
    const int8_t *weights;
    const int32_t *rq;
""")
MVE_FC_PARAMS = Record("mve_fc_params", f"""
    int32_t batches, depth, units, stride16, {RQ_FIELDS};
    const int8_t *weights;
    const int32_t *rq;
""")


def applies(target) -> bool:
    return target is not None and target.has_mve


def specialize(op: Op, call: Call) -> Call | None:
    """The MVE call for `op`, or None where the DSP-extension kernels keep it."""
    f = call.args[0].fields
    if call.kernel == "conv2d":
        return _conv(op, call, f, f["weights"].data)
    if call.kernel == "depthwise_conv2d" and f["in_c"] == 1:
        return _conv(op, call, f, np.transpose(f["weights"].data, (3, 1, 2, 0)))
    if call.kernel == "fully_connected":
        return _fully_connected(op, call, f)
    return None


def _round_up(n: int, m: int) -> int:
    return -(-n // m) * m


def _layer(f: dict, rows: np.ndarray, group: int) -> dict | None:
    """Weights rows [channels, depth] interleaved per `group` channels (a block) and CHUNK values,
    and per block the requantization record of its four lanes; None when the folded bias leaves
    int32."""
    channels, depth = rows.shape
    bias = np.zeros(channels, np.int64) if f["bias"] is None else f["bias"].data.ravel().astype(np.int64)
    folded = bias + f["input_offset"] * rows.astype(np.int64).sum(axis=1)
    if np.abs(folded).max(initial=0) >= 1 << 31:
        return None
    blocks, stride16 = -(-channels // group), _round_up(depth, CHUNK)
    padded = np.zeros((blocks * group, stride16), np.int8)
    padded[:channels, :depth] = rows
    weights = padded.reshape(blocks, group, stride16 // CHUNK, CHUNK).transpose(0, 2, 1, 3)
    multiplier = np.broadcast_to(f["multiplier"].values, (channels,)).astype(np.int64)
    shift = np.broadcast_to(f["shift"].values, (channels,)).astype(np.int64)
    # Lane l of block b serves channel b * group + l % group (past the last: the last again).
    lane = np.minimum(np.arange(blocks)[:, None] * group + np.arange(4)[None, :] % group, channels - 1)
    records = np.stack([folded[lane], np.maximum(shift, 0)[lane], multiplier[lane], np.minimum(shift, 0)[lane]],
                       axis=1)
    return {"weights": Array(np.ascontiguousarray(weights).reshape(-1), "int8_t"),
            "rq": Array(records.reshape(-1).astype(np.int32), "int32_t"), "stride16": stride16,
            "rq_fields": {"left_shift": int((shift > 0).any()), "sign_fix": int(f["act_min"] < f["output_offset"]),
                          "output_offset": f["output_offset"], "act_min": f["act_min"], "act_max": f["act_max"]}}


def _conv(op: Op, call: Call, f: dict, weights: np.ndarray) -> Call | None:
    """mve_conv for weights [out_c, kh, kw, in_c]."""
    x, out = op.inputs[0], op.outputs[0]
    out_c, kh, kw, in_c = weights.shape
    if in_c != x.shape[3]:
        return None  # grouped convolution
    layer = _layer(f, weights.reshape(out_c, -1), 2)
    if layer is None:
        return None
    pointwise = (kh == kw == 1 and f["pad_top"] <= 0 and f["pad_left"] <= 0
                 and (f["out_h"] - 1) * f["stride_h"] - f["pad_top"] < x.shape[1]
                 and (f["out_w"] - 1) * f["stride_w"] - f["pad_left"] < x.shape[2])
    fields = {name: f[name] for name in ("batches", "in_h", "in_w", "in_c", "out_h", "out_w", "out_c", "kernel_h",
                                         "kernel_w", "stride_h", "stride_w", "dilation_h", "dilation_w",
                                         "pad_top", "pad_left")}
    fields.update({"pointwise": int(pointwise), "depth": kh * kw * in_c, "stride16": layer["stride16"],
                   "pad_value": -f["input_offset"], **layer["rq_fields"], "weights": layer["weights"],
                   "rq": layer["rq"]})
    # Both pixels' windows are copied before either is written; pixels go front to back only.
    inplace = [InPlace(i.input, i.forward) for i in
               window_inplace(x, out, f["stride_h"], f["stride_w"], f["pad_top"], f["pad_left"], kh, kw,
                              f["dilation_h"], f["dilation_w"], block=2)]
    repeated = bool(op.options.get("in_tile"))
    function = "mve_conv_s8" if repeated else "mve_conv_s8_inline"
    return Call("mve_conv", function, [MVE_CONV_PARAMS(fields), x, out, Scratch(2 * layer["stride16"])],
                macs=call.macs, inplace=inplace, sources=("mve_conv_s8",) if repeated else ())


def _fully_connected(op: Op, call: Call, f: dict) -> Call | None:
    units, depth = f["units"], f["depth"]
    layer = _layer(f, f["weights"].data.reshape(units, depth), 4)
    if layer is None:
        return None
    fields = {"batches": f["batches"], "depth": depth, "units": units, "stride16": layer["stride16"],
              **layer["rq_fields"], "weights": layer["weights"], "rq": layer["rq"]}
    return Call("mve_fc", "mve_fc_s8_inline", [MVE_FC_PARAMS(fields), call.args[1], call.args[2]],
                macs=call.macs, sources=())
