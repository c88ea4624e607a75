"""LOG_SOFTMAX over the last axis: int8 input, int8 output (scale 16/256, zero point 127)."""
from __future__ import annotations

import numpy as np

from tinygen.errors import TinygenError
from tinygen.ir import Op
from tinygen.ops import Call, Record, define
from tinygen.ops.inplace import elementwise_inplace
from tinygen.ops.shapes import same_as_input
from tinygen.ops.softmax import SCALED_DIFF_INTEGER_BITS, input_radius, input_scaling
from tinygen.quant import quantize_multiplier_smaller_than_one, require_per_tensor_int8

LOG_SOFTMAX_PARAMS = Record("tg_log_softmax_params", """
    int32_t rows, depth, input_multiplier, input_left_shift, reverse_multiplier, reverse_shift, diff_min;
""")

OUTPUT_SCALE, OUTPUT_ZERO_POINT = np.float32(16 / 256), 127
# Each value adds up to 1 to the row's sum of exponentials, kept in Q12: 4096 equal values
# overflow it, which TFLM does not guard against (its log then shifts by a negative amount).
MAX_DEPTH = (1 << 12) - 1


@define("LOG_SOFTMAX", output_shape=same_as_input)
def lower_log_softmax(op: Op) -> Call:
    if len(op.inputs) != 1 or len(op.outputs) != 1:
        raise TinygenError(f"{op.describe()}: expects one input and one output")
    x, out = op.inputs[0], op.outputs[0]
    input_scale, output_scale = require_per_tensor_int8(op, x, out)
    if not x.shape:
        raise TinygenError(f"{op.describe()}: the input must have at least one dimension")
    if out.quant.zp != OUTPUT_ZERO_POINT or output_scale != OUTPUT_SCALE:
        raise TinygenError(f"{op.describe()}: the int8 output must have scale 16/256 and zero point 127 "
                           f"(got {output_scale:g}, {out.quant.zp})")
    depth = x.shape[-1]
    if depth > MAX_DEPTH:
        raise TinygenError(f"{op.describe()}: a last axis of {depth} values can overflow TFLM's sum of "
                           f"exponentials (at most {MAX_DEPTH})")
    multiplier, shift = input_scaling(op, 1.0, input_scale)  # TFLM fixes beta at 1
    # In double, as TFLM's PreprocessLogSoftmaxScalingExp. A float32 scale that passed
    # input_scaling puts the scaling well above 1, so its reciprocal is below 1, as TFLM checks.
    reverse_multiplier, reverse_shift = quantize_multiplier_smaller_than_one((1 << (31 - shift)) / multiplier)
    params = LOG_SOFTMAX_PARAMS({
        "rows": x.size // depth if depth else 0, "depth": depth,
        "input_multiplier": multiplier, "input_left_shift": shift,
        "reverse_multiplier": reverse_multiplier, "reverse_shift": reverse_shift,
        "diff_min": -input_radius(SCALED_DIFF_INTEGER_BITS, shift),
    })
    return Call("log_softmax", "tg_log_softmax_s8", [params, x, out], inplace=elementwise_inplace(x, out))
