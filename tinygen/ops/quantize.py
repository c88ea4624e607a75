"""QUANTIZE (float32 -> int8 or int16, and rescaling between the integer pairs TFLM takes) and
DEQUANTIZE (int8, uint8 or int16 -> float32).

These sit at the model boundary when a model is converted with float or uint8 inputs/outputs, and
between int8 and int16 (or int32) parts of a 16x8 model.
"""
from __future__ import annotations

import numpy as np

from tinygen.errors import TinygenError
from tinygen.ir import Op, Tensor
from tinygen.ops import Call, Record, View, define, tiling
from tinygen.ops.broadcast import views
from tinygen.ops.inplace import elementwise_inplace
from tinygen.ops.requantize import requantize_params
from tinygen.ops.shapes import same_as_input
from tinygen.ops.operands import UNARY
from tinygen.quant import TYPE_SUFFIX, dtype_range, multiply_by_quantized_multiplier, quantize_multiplier

QUANTIZE_PARAMS = Record("tg_quantize_params", """
    int32_t rows, cols, input_row_stride;
    float scale;
    int32_t zero_point;
""")

FLOAT_TO = ("int8", "int16")  # what TFLM's QUANTIZE makes of float32
# The integer (input, output) pairs TFLM's QUANTIZE accepts: one tg_requantize_<in>_<out> each.
REQUANTIZE_PAIRS = {("int8", "int8"), ("int8", "uint8"), ("uint8", "int8"), ("int8", "int16"), ("int8", "int32"),
                    ("int16", "int8"), ("int16", "int16"), ("int16", "int32"), ("int32", "int8"), ("int32", "int16")}
INT32_RANGE = (-(1 << 31), (1 << 31) - 1)


def per_tensor(op: Op, t: Tensor) -> None:
    if t.quant is None:
        raise TinygenError(f"{op.describe()}: {t.describe()} has no quantization parameters")
    if t.quant.per_channel:
        raise TinygenError(f"{op.describe()}: {t.describe()} is quantized per channel; TFLM supports "
                           "per-tensor quantization only here")


def _rows(op: Op, call: Call) -> Call:
    """For a patch tile reading a region of a larger input buffer (its views): row by row."""
    tile = views(op)
    if tile is None:
        return call
    (buffer, offset, stride), = tile
    out = op.outputs[0]
    call.args[0].fields.update(rows=out.shape[1], cols=out.shape[2] * out.shape[3], input_row_stride=stride)
    call.args[1] = View(buffer, offset)
    call.inplace = []
    return call


@define("QUANTIZE", output_shape=same_as_input, tiling=tiling.quantize, operands=UNARY)
def lower_quantize(op: Op) -> Call:
    return _rows(op, _lower_quantize(op))


def _lower_quantize(op: Op) -> Call:
    x, out = op.inputs[0], op.outputs[0]
    per_tensor(op, out)
    if not ((x.dtype == "float32" and out.dtype in FLOAT_TO) or (x.dtype, out.dtype) in REQUANTIZE_PAIRS):
        pairs = [("float32", t) for t in FLOAT_TO] + sorted(REQUANTIZE_PAIRS)
        raise TinygenError(f"{op.describe()}: QUANTIZE of {x.dtype} to {out.dtype} is not supported (supported: "
                           + ", ".join(f"{a} -> {b}" for a, b in pairs) + ")")
    kernel = "quantize" if x.dtype == "float32" else "requantize"
    function = f"tg_{kernel}_{TYPE_SUFFIX[x.dtype]}_{TYPE_SUFFIX[out.dtype]}"
    if x.dtype == "float32":
        params = QUANTIZE_PARAMS({"rows": 1, "cols": out.size, "input_row_stride": out.size,
                                  "scale": out.quant.s, "zero_point": out.quant.zp})
        return Call("quantize", function, [params, x, out])
    per_tensor(op, x)
    multiplier, shift = quantize_multiplier(float(x.quant.s) / float(out.quant.s))
    lo, hi = output_range(out)
    return Call("requantize", function, [requantize_params(x, out, multiplier, shift, lo, hi), x, out],
                inplace=elementwise_inplace(x, out))


def output_range(t: Tensor) -> tuple[int, int]:
    return INT32_RANGE if t.dtype == "int32" else dtype_range(t.dtype)


def evaluate_boundary(op: Op, x: np.ndarray) -> np.ndarray:
    """What a QUANTIZE or DEQUANTIZE computes, exactly as TFLM does: float32 division rounded half
    away from zero, 8-bit rescaling through the integer multiplier, or float32(double scale * q)."""
    src, dst = op.inputs[0], op.outputs[0]
    x = np.asarray(x)
    if op.kind == "DEQUANTIZE":
        return (np.float64(src.quant.s) * (x.astype(np.int64) - src.quant.zp)).astype(np.float32)
    lo, hi = output_range(dst)
    if src.dtype == "float32":
        ratio = (x.astype(np.float32) / np.float32(dst.quant.s)).astype(np.float64)
        rounded = np.where(np.isnan(ratio), 0.0, np.sign(ratio) * np.floor(np.abs(ratio) + 0.5))
        return (np.clip(rounded, lo - dst.quant.zp, hi - dst.quant.zp) + dst.quant.zp).astype(dst.dtype)
    f = _lower_quantize(op).args[0].fields
    values = np.arange(*((0, 256) if src.dtype == "uint8" else (-128, 128)))
    table = np.array([min(max(multiply_by_quantized_multiplier(int(v) - f["input_zero_point"], f["multiplier"], f["shift"])
                                  + f["output_zero_point"], f["out_min"]), f["out_max"]) for v in values])
    return table[x.astype(np.int64) - values[0]].astype(dst.dtype)
