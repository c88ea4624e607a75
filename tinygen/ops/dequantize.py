"""DEQUANTIZE (int8 or uint8 -> float32), at the model boundary of a float-output model."""
from __future__ import annotations

from tinygen.errors import TinygenError
from tinygen.ir import Op
from tinygen.ops import Call, Record, define
from tinygen.ops.quantize import EIGHT_BIT_RANGE, per_tensor
from tinygen.ops.shapes import same_as_input
from tinygen.ops.operands import UNARY

DEQUANTIZE_PARAMS = Record("tg_dequantize_params", """
    int32_t size, input_unsigned, zero_point;
    double scale;
""")


@define("DEQUANTIZE", output_shape=same_as_input, operands=UNARY)
def lower_dequantize(op: Op) -> Call:
    x, out = op.inputs[0], op.outputs[0]
    if x.dtype not in EIGHT_BIT_RANGE or out.dtype != "float32":
        raise TinygenError(f"{op.describe()}: {x.dtype} -> {out.dtype} is not supported (supported: int8 or "
                           "uint8 -> float32)")
    per_tensor(op, x)
    params = DEQUANTIZE_PARAMS({"size": out.size, "input_unsigned": int(x.dtype == "uint8"),
                                             "zero_point": x.quant.zp, "scale": x.quant.s})
    return Call("dequantize", "tg_dequantize_8bit", [params, x, out])
