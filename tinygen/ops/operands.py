"""What an op needs of its operands, declared with its definition (OpDef.operands) and checked by
the model verifier (tinygen.frontend.verify) before any pass: the semantic checks of TFLM's
Prepare that every kernel would otherwise repeat. Lowering may then take its operands as given."""
from __future__ import annotations

from dataclasses import dataclass

INDICES = ("int32", "int64")


@dataclass(frozen=True)
class Operand:
    """What an op needs at one input position."""
    ranks: tuple[int, ...] | None = None  # None: any rank (up to the verifier's MAX_RANK)
    dtypes: tuple[str, ...] | None = None  # None: any (lowering says which it supports)
    constant: bool = False  # the kernel takes its values at generation time
    optional: bool = False  # may be absent (index -1, or past the end of the inputs)
    channel_axis: int | None = None  # per-channel quantization has one scale per index along it
    length_of: tuple[int, int] | None = None  # (input, axis): as many values as that input's dim


@dataclass(frozen=True)
class Signature:
    inputs: tuple[Operand, ...]
    output_ranks: tuple[int, ...] | None = None
    repeated_input: bool = False  # the last input repeats, once or more (CONCATENATION, PACK)
    several_outputs: bool = False  # one output or more (SPLIT, UNPACK); otherwise exactly one


ANY = Operand()
IMAGE = Operand(ranks=(4,))  # NHWC
AXIS = Operand(dtypes=("int32",), constant=True)  # TFLM reads axes as flat data, whatever their rank
VECTOR = Operand(ranks=(1,), dtypes=INDICES, constant=True)
PAIRS = Operand(ranks=(2,), dtypes=INDICES)  # paddings, crops: one (before, after) row per axis
UNARY = Signature((ANY,))
BINARY = Signature((ANY, ANY))
IMAGE_TO_IMAGE = Signature((IMAGE,), output_ranks=(4,))  # pools, depth <-> space


def bias(channels_of: tuple[int, int]) -> Operand:
    """A convolution's or FULLY_CONNECTED's bias: one value per output channel of that input's
    axis, read as flat data whatever its rank."""
    return Operand(constant=True, optional=True, length_of=channels_of)


def filters(channel_axis: int) -> Operand:
    return Operand(ranks=(4,), constant=True, channel_axis=channel_axis)
