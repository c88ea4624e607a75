"""Lowering of IR ops to kernel calls: one module per op family, registered by op kind.

A lowering function takes an `Op` and returns either
- a `Call`: a C function in `templates/kernels/<kernel>.c` and its arguments, all known now, or
- an `Alias`: the op moves no data (RESHAPE and friends); its output shares its input's bytes.

Arguments are printed by codegen: a `Tensor` becomes a pointer into the arena (or the name of
its constant array), a `View` a pointer into an activation, an `Array` a `static const` array in flash, a `Struct` a `static const`
struct passed by address, a `Scratch` a planner-placed buffer live during the call only, and
plain ints/floats literals.
"""
from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass, field
from typing import Callable, Union

import numpy as np

from tinygen.errors import TinygenError
from tinygen.ir import Op, Tensor


@dataclass
class Array:
    values: np.ndarray
    ctype: str  # e.g. "int32_t"


@dataclass
class Struct:
    ctype: str
    fields: dict  # field name -> int | float | list of ints | Array | Tensor | Struct (a pointer to it)


@dataclass
class Scratch:
    nbytes: int


@dataclass
class View:
    """Bytes of an activation from `byte_offset` on: a kernel reading part of a larger buffer
    (a patch tile's region of its input) gets a pointer to where that part starts."""
    tensor: Tensor
    byte_offset: int


Arg = Union[Tensor, View, Array, Struct, Scratch, int, float, None]


@dataclass
class Call:
    kernel: str  # kernel file stem in templates/kernels
    function: str
    args: list[Arg]
    # What the op computes, for `inspect` and profiling.
    macs: int = 0
    extra_kernels: list[str] = field(default_factory=list)
    # InPlace entries (tinygen.ops.inplace): how the output may overlap an input it consumes.
    inplace: list = field(default_factory=list)


def call_scratches(call: Call) -> list[Scratch]:
    """The scratch buffers a call asks for, as arguments or inside its parameter structs."""
    found = []
    for arg in call.args:
        if isinstance(arg, Scratch):
            found.append(arg)
        elif isinstance(arg, Struct):
            found.extend(v for v in arg.fields.values() if isinstance(v, Scratch))
    return found


@dataclass
class Alias:
    source: Tensor
    target: Tensor


Lowering = Callable[[Op], Union[Call, Alias]]
_LOWERINGS: dict[str, Lowering] = {}
_loaded = False


def register(*kinds: str):
    def decorate(fn: Lowering) -> Lowering:
        for kind in kinds:
            _LOWERINGS[kind] = fn
        return fn
    return decorate


def _load_all() -> None:
    global _loaded
    if not _loaded:
        for module in pkgutil.iter_modules(__path__):
            importlib.import_module(f"{__name__}.{module.name}")
        _loaded = True


def supported_ops() -> list[str]:
    _load_all()
    return sorted(_LOWERINGS)


def lower(op: Op) -> Call | Alias:
    _load_all()
    fn = _LOWERINGS.get(op.kind)
    if fn is None:
        raise TinygenError(f"{op.describe()}: unsupported op {op.kind} (supported: {', '.join(supported_ops())})")
    return fn(op)
