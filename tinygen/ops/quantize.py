"""QUANTIZE (float32 -> int8, and rescaling between int8 and uint8) and DEQUANTIZE (8-bit -> float32).

These sit at the model boundary when a model is converted with float or uint8 inputs/outputs.
"""
from __future__ import annotations

import numpy as np

from tinygen.backends.builtin_quant import tflm_requantize
from tinygen.errors import TinygenError
from tinygen.ir import Op, Tensor
from tinygen.ops import Call, Struct, View, register
from tinygen.ops.broadcast import views
from tinygen.ops.inplace import elementwise_inplace
from tinygen.quant import quantize_multiplier

EIGHT_BIT_RANGE = {"int8": (-128, 127), "uint8": (0, 255)}
# The integer pairs TFLM's QUANTIZE accepts among those tinygen has 8-bit kernels for.
REQUANTIZE_PAIRS = {("int8", "int8"), ("int8", "uint8"), ("uint8", "int8")}


def _per_tensor(op: Op, t: Tensor) -> None:
    if t.quant is None:
        raise TinygenError(f"{op.describe()}: {t.describe()} has no quantization parameters")
    if t.quant.per_channel:
        raise TinygenError(f"{op.describe()}: {t.describe()} is quantized per channel; TFLM supports "
                           "per-tensor quantization only here")


def requantize_params(input: Tensor, output: Tensor, multiplier: int, shift: int, out_min: int, out_max: int,
                      zero_points: tuple[int, int] | None = None) -> Struct:
    """Arguments of tg_requantize_8bit, shared with the RELU family; zero points default to the tensors'."""
    input_zp, output_zp = zero_points or (input.quant.zp, output.quant.zp)
    return Struct("tg_requantize_params", {
        "rows": 1, "cols": output.size, "input_row_stride": output.size, "input_unsigned": int(input.dtype == "uint8"),
        "output_unsigned": int(output.dtype == "uint8"), "input_zero_point": input_zp, "output_zero_point": output_zp,
        "multiplier": multiplier, "shift": shift, "out_min": out_min, "out_max": out_max,
    })


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


@register("QUANTIZE")
def lower_quantize(op: Op) -> Call:
    return _rows(op, _lower_quantize(op))


def _lower_quantize(op: Op) -> Call:
    x, out = op.inputs[0], op.outputs[0]
    _per_tensor(op, out)
    if x.dtype == "float32":
        if out.dtype != "int8":
            raise TinygenError(f"{op.describe()}: float32 -> {out.dtype} is not supported (TFLM quantizes "
                               "float32 to int8 or int16 only; tinygen supports int8)")
        params = Struct("tg_quantize_params", {"rows": 1, "cols": out.size, "input_row_stride": out.size,
                                                "scale": out.quant.s, "zero_point": out.quant.zp})
        return Call("quantize", "tg_quantize_f32_s8", [params, x, out])
    if (x.dtype, out.dtype) not in REQUANTIZE_PAIRS:
        raise TinygenError(f"{op.describe()}: {x.dtype} -> {out.dtype} is not supported (supported: float32 -> int8, "
                           + ", ".join(f"{a} -> {b}" for a, b in sorted(REQUANTIZE_PAIRS)) + ")")
    _per_tensor(op, x)
    multiplier, shift = quantize_multiplier(float(x.quant.s) / float(out.quant.s))
    lo, hi = EIGHT_BIT_RANGE[out.dtype]
    return Call("requantize", "tg_requantize_8bit", [requantize_params(x, out, multiplier, shift, lo, hi), x, out],
                inplace=elementwise_inplace(x, out))


@register("DEQUANTIZE")
def lower_dequantize(op: Op) -> Call:
    x, out = op.inputs[0], op.outputs[0]
    if x.dtype not in EIGHT_BIT_RANGE or out.dtype != "float32":
        raise TinygenError(f"{op.describe()}: {x.dtype} -> {out.dtype} is not supported (supported: int8 or "
                           "uint8 -> float32)")
    _per_tensor(op, x)
    params = Struct("tg_dequantize_params", {"size": out.size, "input_unsigned": int(x.dtype == "uint8"),
                                             "zero_point": x.quant.zp, "scale": x.quant.s})
    return Call("dequantize", "tg_dequantize_8bit", [params, x, out])


def evaluate_boundary(op: Op, x: np.ndarray) -> np.ndarray:
    """What a QUANTIZE or DEQUANTIZE computes, exactly as TFLM does: float32 division rounded half
    away from zero, 8-bit rescaling through the integer multiplier, or float32(double scale * q)."""
    src, dst = op.inputs[0], op.outputs[0]
    x = np.asarray(x)
    if op.kind == "DEQUANTIZE":
        return (np.float64(src.quant.s) * (x.astype(np.int64) - src.quant.zp)).astype(np.float32)
    lo, hi = EIGHT_BIT_RANGE[dst.dtype]
    if src.dtype == "float32":
        ratio = (x.astype(np.float32) / np.float32(dst.quant.s)).astype(np.float64)
        rounded = np.where(np.isnan(ratio), 0.0, np.sign(ratio) * np.floor(np.abs(ratio) + 0.5))
        return (np.clip(rounded, lo - dst.quant.zp, hi - dst.quant.zp) + dst.quant.zp).astype(dst.dtype)
    f = _lower_quantize(op).args[0].fields
    values = np.arange(*((0, 256) if src.dtype == "uint8" else (-128, 128)))
    table = np.array([min(max(tflm_requantize(int(v) - f["input_zero_point"], f["multiplier"], f["shift"])
                                  + f["output_zero_point"], f["out_min"]), f["out_max"]) for v in values])
    return table[x.astype(np.int64) - values[0]].astype(dst.dtype)
