"""DEQUANTIZE (int8, uint8 or int16 -> float32), at the model boundary of a float-output model."""
from __future__ import annotations

from tinygen.errors import TinygenError
from tinygen.ir import Op
from tinygen.ops import Call, Record, define
from tinygen.ops.quantize import per_tensor
from tinygen.ops.shapes import same_as_input
from tinygen.ops.operands import UNARY
from tinygen.quant import TYPE_SUFFIX

DEQUANTIZE_FROM = ("int8", "uint8", "int16")

DEQUANTIZE_PARAMS = Record("tg_dequantize_params", """
    int32_t size, zero_point;
    double scale;
""")


@define("DEQUANTIZE", output_shape=same_as_input, operands=UNARY)
def lower_dequantize(op: Op) -> Call:
    x, out = op.inputs[0], op.outputs[0]
    if x.dtype not in DEQUANTIZE_FROM or out.dtype != "float32":
        raise TinygenError(f"{op.describe()}: DEQUANTIZE of {x.dtype} to {out.dtype} is not supported (supported: "
                           "int8, uint8 or int16 -> float32)")
    per_tensor(op, x)
    params = DEQUANTIZE_PARAMS({"size": out.size, "zero_point": x.quant.zp, "scale": x.quant.s})
    return Call("dequantize", f"tg_dequantize_{TYPE_SUFFIX[x.dtype]}", [params, x, out])
