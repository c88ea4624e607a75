"""The intermediate representation: tensors and ops in execution order.

Small on purpose: passes rewrite `Graph.ops` and tensors' fields; codegen only reads them.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import math

import numpy as np


@dataclass
class Quant:
    scale: np.ndarray  # float32, one per tensor or one per channel
    zero_point: np.ndarray  # int64, same length as scale
    axis: int = 0

    @property
    def per_channel(self) -> bool:
        return len(self.scale) > 1

    @property
    def s(self) -> float:
        """The per-tensor scale as the float32 TFLM uses."""
        return np.float32(self.scale[0])

    @property
    def zp(self) -> int:
        return int(self.zero_point[0])


@dataclass(eq=False)
class Tensor:
    name: str
    shape: tuple[int, ...]
    dtype: str  # numpy dtype name
    quant: Quant | None = None
    data: np.ndarray | None = None  # set for constants
    index: int = -1  # index in the source model, for messages
    # A variable (stateful) tensor: an op's state that persists from one invoke to the next
    # (LSTM hidden and cell state, SVDF activation state); kept outside the arena.
    is_variable: bool = False

    @property
    def is_const(self) -> bool:
        return self.data is not None

    @property
    def in_arena(self) -> bool:
        """An activation the arena planner places: neither a constant nor persistent state."""
        return self.data is None and not self.is_variable

    @property
    def size(self) -> int:
        return math.prod(self.shape)  # Python ints: a hostile shape cannot wrap around

    @property
    def nbytes(self) -> int:
        return self.size * np.dtype(self.dtype).itemsize

    def describe(self) -> str:
        return f"tensor {self.index} '{self.name}'"

    def __repr__(self):
        return f"Tensor({self.index}, {self.name!r}, {self.shape}, {self.dtype})"


@dataclass(eq=False)
class Op:
    kind: str  # TFLite builtin name, e.g. "CONV_2D"
    inputs: list[Tensor | None]  # None where an optional input is absent
    outputs: list[Tensor]
    options: dict = field(default_factory=dict)
    index: int = -1  # position in the source model, for messages

    def describe(self) -> str:
        written = self.outputs[0] if self.outputs else None  # None in a malformed op the verifier names
        name = written.name if written is not None else ""
        out = f" -> '{name if len(name) <= 60 else name[:57] + '...'}'" if name else ""
        return f"op {self.index} ({self.kind}{out})"

    def input(self, i: int) -> Tensor | None:
        return self.inputs[i] if i < len(self.inputs) else None

    @property
    def has_int16_activations(self) -> bool:
        """Whether it reads or writes int16 activations (TFLM's 16x8 mode), which only the
        reference kernels and layer-by-layer runs implement. An op's int16 state (a variable
        tensor, e.g. an SVDF's) is no activation: backends decide on that themselves."""
        return any(t is not None and t.in_arena and t.dtype == "int16" for t in self.inputs + self.outputs)


@dataclass(eq=False)
class Graph:
    name: str
    tensors: list[Tensor]
    ops: list[Op]
    inputs: list[Tensor]
    outputs: list[Tensor]
    # With --io int8: id(the int8 input/output tensor) -> the boundary QUANTIZE/DEQUANTIZE dropped
    # (tinygen.passes.int8_io), whose other side is the model's own input or output.
    dropped_io: dict = field(default_factory=dict)
    # With --io-buffers separate: the inputs and outputs have buffers of their own, outside the arena.
    io_outside_arena: bool = False

    def consumers(self, tensor: Tensor) -> list[Op]:
        return [op for op in self.ops if any(t is tensor for t in op.inputs)]

    def producer(self, tensor: Tensor) -> Op | None:
        return next((op for op in self.ops if any(t is tensor for t in op.outputs)), None)

    def is_boundary(self, tensor: Tensor) -> bool:
        return any(t is tensor for t in self.inputs + self.outputs)

    def live_tensors(self) -> list[Tensor]:
        """Every activation the ops read or write (neither constant nor state), in first-use order."""
        seen: dict[int, Tensor] = {id(t): t for t in self.inputs}
        for op in self.ops:
            for t in op.inputs + op.outputs:
                if t is not None and t.in_arena:
                    seen.setdefault(id(t), t)
        return list(seen.values())

    def state_tensors(self) -> list[Tensor]:
        """The variable tensors the ops keep from one invoke to the next, in first-use order."""
        seen: dict[int, Tensor] = {}
        for op in self.ops:
            for t in op.inputs:
                if t is not None and t.is_variable:
                    seen.setdefault(id(t), t)
        return list(seen.values())
