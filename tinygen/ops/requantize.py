"""The requantize kernel: integer-to-integer rescaling with a clamp. RELU, RELU6 and RELU_N1_TO_1 are
this with a clamp at the quantized 0 (and 6, or -1 and 1), each with TFLM's own Prepare
arithmetic; QUANTIZE between integer types (quantize.py) is it without one.

Those that do not requantize are usually folded into the op before them (passes/fuse_activations.py);
what reaches here runs standalone. Scale ratios are taken in double from the float32 scales: that
is what the TFLM this is checked against (the tflite-micro package) does.
"""
from __future__ import annotations

from tinygen.errors import TinygenError
from tinygen.ir import Op, Tensor
from tinygen.ops import Call, Record, Struct, define, tiling
from tinygen.ops.inplace import elementwise_inplace
from tinygen.ops.shapes import same_as_input
from tinygen.ops.operands import UNARY
from tinygen.quant import INT8_MAX, INT8_MIN, quantize_multiplier, quantize_value, require_per_tensor_int8

REQUANTIZE_PARAMS = Record("tg_requantize_params", """
    int32_t rows, cols, input_row_stride, input_zero_point, output_zero_point, multiplier, shift, out_min,
        out_max;
""")


def _activation(op: Op):
    x, out = op.inputs[0], op.outputs[0]
    require_per_tensor_int8(op, x, out)
    return x, out


def requantize_params(input: Tensor, output: Tensor, multiplier: int, shift: int, out_min: int, out_max: int,
                      zero_points: tuple[int, int] | None = None) -> Struct:
    """Arguments of tg_requantize_*, shared with the RELU family; zero points default to the tensors'."""
    input_zp, output_zp = zero_points or (input.quant.zp, output.quant.zp)
    return REQUANTIZE_PARAMS({
        "rows": 1, "cols": output.size, "input_row_stride": output.size, "input_zero_point": input_zp,
        "output_zero_point": output_zp,
        "multiplier": multiplier, "shift": shift, "out_min": out_min, "out_max": out_max,
    })


@define("RELU", output_shape=same_as_input, tiling=tiling.pointwise, operands=UNARY)
def lower_relu(op: Op) -> Call:
    x, out = _activation(op)
    multiplier, shift = quantize_multiplier(float(x.quant.s) / float(out.quant.s))
    act_min = max(INT8_MIN, quantize_value(out.quant.s, out.quant.zp, 0.0))
    return Call("requantize", "tg_requantize_s8_s8",
                [requantize_params(x, out, multiplier, shift, act_min, INT8_MAX), x, out],
                inplace=elementwise_inplace(x, out))


@define("RELU6", output_shape=same_as_input, tiling=tiling.pointwise, operands=UNARY)
def lower_relu6(op: Op) -> Call:
    """TFLM's RELU6 clamps the raw input values and ignores the output's quantization."""
    x, out = _activation(op)
    zero = x.quant.zp
    six = min(INT8_MAX, max(INT8_MIN, quantize_value(x.quant.s, zero, 6.0)))
    multiplier, shift = quantize_multiplier(1.0)
    return Call("requantize", "tg_requantize_s8_s8",
                [requantize_params(x, out, multiplier, shift, zero, six, zero_points=(0, 0)), x, out],
                inplace=elementwise_inplace(x, out))


@define("RELU_N1_TO_1", output_shape=same_as_input, tiling=tiling.pointwise, operands=UNARY)
def lower_relu_n1_to_1(op: Op) -> Call:
    raise TinygenError(f"{op.describe()}: TFLite Micro has no standalone RELU_N1_TO_1 kernel; tinygen supports "
                       "it only fused into the op before it (same quantization on both sides)")
