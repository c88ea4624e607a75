"""RESHAPE, SQUEEZE, EXPAND_DIMS: no data moves, the output is the input's bytes under a new shape."""
from tinygen.errors import TinygenError
from tinygen.ir import Op
from tinygen.ops import Alias, register


@register("RESHAPE", "SQUEEZE", "EXPAND_DIMS")
def lower_reshape(op: Op) -> Alias:
    x, out = op.inputs[0], op.outputs[0]
    if x.dtype != out.dtype or x.size != out.size:
        raise TinygenError(f"{op.describe()}: {x.shape} {x.dtype} cannot be viewed as {out.shape} {out.dtype}")
    return Alias(x, out)
