"""LEAKY_RELU on int8 or int16: two multipliers, one for each side of the zero point, as TFLM's
Prepare makes them."""
from __future__ import annotations

import numpy as np

from tinygen.ir import Op
from tinygen.ops import Call, Record, define, tiling
from tinygen.ops.inplace import elementwise_inplace
from tinygen.ops.shapes import same_as_input
from tinygen.ops.operands import UNARY
from tinygen.quant import ACTIVATION_TYPES, TYPE_SUFFIX, per_tensor_scales, quantize_multiplier, require_quantized

LEAKY_RELU_PARAMS = Record("tg_leaky_relu_params", """
    int32_t size, input_zero_point, output_zero_point, identity_multiplier, identity_shift,
        alpha_multiplier, alpha_shift, alpha_negative;
""")


def require_activation(op: Op, dtypes=("int8",)):
    """Input and output of one of `dtypes`, quantized per tensor."""
    x, out = op.inputs[0], op.outputs[0]
    require_quantized(op, dtypes, x, out)
    per_tensor_scales(op, x, out)
    return x, out


@define("LEAKY_RELU", options=(("alpha", "f", 0.0),), output_shape=same_as_input, tiling=tiling.pointwise,
        operands=UNARY)
def lower_leaky_relu(op: Op) -> Call:
    x, out = require_activation(op, ACTIVATION_TYPES)
    alpha = float(np.float32(op.options["alpha"]))
    identity_multiplier, identity_shift = quantize_multiplier(float(x.quant.s) / float(out.quant.s))
    alpha_multiplier, alpha_shift = quantize_multiplier(float(x.quant.s) * alpha / float(out.quant.s))
    params = LEAKY_RELU_PARAMS({
        "size": out.size, "input_zero_point": x.quant.zp, "output_zero_point": out.quant.zp,
        "identity_multiplier": identity_multiplier, "identity_shift": identity_shift,
        "alpha_multiplier": abs(alpha_multiplier), "alpha_shift": alpha_shift,
        "alpha_negative": int(alpha_multiplier < 0),
    })
    return Call("leaky_relu", f"tg_leaky_relu_{TYPE_SUFFIX[x.dtype]}", [params, x, out],
                inplace=elementwise_inplace(x, out))
