"""RESHAPE, SQUEEZE, EXPAND_DIMS: no data moves, the output is the input's bytes under a new shape.
SHAPE and CAST only ever reach tinygen as shape computations, which constant folding evaluates."""
from __future__ import annotations

import numpy as np

from tinygen.errors import TinygenError
from tinygen.ir import Op
from tinygen.ops import Alias, define, exact
from tinygen.ops.shapes import same_size
from tinygen.ops.operands import ANY, INDICES, UNARY, Operand, Signature


def _reshaped(op: Op):
    """A constant input viewed under the output's shape (the target shape may be computed)."""
    x = op.inputs[0]
    return x.data.reshape(op.outputs[0].shape) if x.is_const else None


define("SHAPE", operands=UNARY, evaluate=lambda op: np.array(op.inputs[0].shape, dtype=op.outputs[0].dtype))(None)
define("CAST", operands=UNARY, evaluate=exact(lambda op, x: x.astype(op.outputs[0].dtype)))(None)


@define("RESHAPE", options=(("new_shape", "[i", None),), output_shape=same_size, evaluate=_reshaped,
        operands=Signature((ANY, Operand(ranks=(0, 1), dtypes=INDICES, optional=True))))
@define("SQUEEZE", options=(("squeeze_dims", "[i", None),), output_shape=same_size, evaluate=_reshaped,
        operands=UNARY)
@define("EXPAND_DIMS", output_shape=same_size, evaluate=_reshaped,
        operands=Signature((ANY, Operand(ranks=(0, 1), dtypes=INDICES))))
def lower_reshape(op: Op) -> Alias:
    x, out = op.inputs[0], op.outputs[0]
    if x.dtype != out.dtype or x.size != out.size:
        raise TinygenError(f"{op.describe()}: {x.shape} {x.dtype} cannot be viewed as {out.shape} {out.dtype}")
    return Alias(x, out)
