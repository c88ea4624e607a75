"""HARD_SWISH on int8: x * relu6(x + 3) / 6 in TFLM's fixed-point steps (16-bit multipliers)."""
from __future__ import annotations

import numpy as np

from tinygen.errors import TinygenError
from tinygen.ir import Op
from tinygen.ops import Call, Record, define, tiling
from tinygen.ops.inplace import elementwise_inplace
from tinygen.ops.leaky_relu import require_activation
from tinygen.ops.shapes import same_as_input
from tinygen.ops.operands import UNARY
from tinygen.quant import quantize_multiplier

HARD_SWISH_PARAMS = Record("tg_hard_swish_params", """
    int32_t size, input_zero_point, output_zero_point, output_multiplier, output_exponent,
        reluish_multiplier, reluish_exponent;
""")


def _q15_multiplier(real: float) -> tuple[int, int]:
    """QuantizeMultiplier, then its Q31 significand rounded to Q15 (DownScaleInt32ToInt16Multiplier)."""
    multiplier, exponent = quantize_multiplier(real)
    if multiplier >= (1 << 31) - 1 - (1 << 15):
        return (1 << 15) - 1, exponent
    return (multiplier + (1 << 15)) >> 16, exponent


@define("HARD_SWISH", output_shape=same_as_input, tiling=tiling.pointwise, operands=UNARY)
def lower_hard_swish(op: Op) -> Call:
    x, out = require_activation(op)
    hires_input_scale = float(np.float32(1.0 / 128.0) * x.quant.s)  # the product is float32
    reluish_scale = 3.0 / 32768.0
    output_multiplier, output_exponent = _q15_multiplier(hires_input_scale / float(out.quant.s))
    if output_exponent > 0:
        raise TinygenError(f"{op.describe()}: the output scale {out.quant.s} is too small for the input scale "
                           f"{x.quant.s} (TFLM's HARD_SWISH needs output_scale >= input_scale / 128)")
    reluish_multiplier, reluish_exponent = _q15_multiplier(hires_input_scale / reluish_scale)
    params = HARD_SWISH_PARAMS({
        "size": out.size, "input_zero_point": x.quant.zp, "output_zero_point": out.quant.zp,
        "output_multiplier": output_multiplier, "output_exponent": output_exponent,
        "reluish_multiplier": reluish_multiplier, "reluish_exponent": reluish_exponent,
    })
    return Call("hard_swish", "tg_hard_swish_s8", [params, x, out], inplace=elementwise_inplace(x, out))
