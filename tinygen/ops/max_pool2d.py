"""MAX_POOL_2D: int8 or int16 NHWC; out-of-bounds taps are skipped."""
from __future__ import annotations

from tinygen.ir import Op
from tinygen.ops import Call, define, tiling
from tinygen.ops.avg_pool2d import pool_call
from tinygen.ops.window import POOL_OPTIONS, pool_output_shape
from tinygen.ops.operands import IMAGE_TO_IMAGE


@define("MAX_POOL_2D", options=POOL_OPTIONS, output_shape=pool_output_shape, takes_activation=True, operands=IMAGE_TO_IMAGE,
        tiling=tiling.window)
def lower_max_pool(op: Op) -> Call:
    return pool_call(op, "max_pool2d")
