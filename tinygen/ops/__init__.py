"""Op definitions and their lowering to kernel calls: one module per op, or per family of ops that
share a kernel (named as its C kernel in tinygen/kernels/reference/), each defining its ops with
`define` (OpDef: options, shape, constant evaluation, fusions, tiling, cost, lowering).

A lowering function takes an `Op` and returns either
- a `Call`: a C function declared in `tinygen/kernels/*/<kernel>.h` and its arguments, all known now, or
- an `Alias`: the op moves no data (RESHAPE and friends); its output shares its input's bytes.

Arguments are printed by codegen: a `Tensor` becomes a pointer into the arena (or the name of
its constant array), a `View` a pointer into an activation, an `Array` a `static const` array in flash, a `Struct` a `static const`
struct passed by address, a `Scratch` a planner-placed buffer live during the call only, and
plain ints/floats literals.
"""
from __future__ import annotations

import hashlib
import importlib
import pkgutil
import re
from dataclasses import dataclass, field
from typing import Callable, Union

import numpy as np

from tinygen.memory import Overlap
from tinygen.errors import TinygenError
from tinygen.ir import Op, Tensor
from tinygen.ops.operands import Signature
from tinygen.quant import QuantizationRangeError


@dataclass
class Array:
    values: np.ndarray
    ctype: str  # e.g. "int32_t"


@dataclass
class Struct:
    ctype: str
    fields: dict  # field name -> int | float | list of ints | Array | Tensor | Struct (a pointer to it)


def constant_bytes(calls) -> int:
    """Bytes of the constants the kernel calls take to model.c: constant tensors, arrays
    (identical ones once: codegen shares them) and parameter structs (4 bytes a field)."""
    seen_tensors, seen_arrays, total = set(), set(), 0

    def visit(arg) -> None:
        nonlocal total
        if isinstance(arg, Tensor) and arg.is_const and id(arg) not in seen_tensors:
            seen_tensors.add(id(arg))
            total += arg.nbytes
        elif isinstance(arg, Array):
            key = (arg.ctype, arg.values.dtype.str, arg.values.tobytes())
            if key not in seen_arrays:
                seen_arrays.add(key)
                total += arg.values.nbytes
        elif isinstance(arg, Struct):
            total += 4 * len(arg.fields)
            visit(list(arg.fields.values()))
        elif isinstance(arg, (list, tuple)):
            for value in arg:
                visit(value)

    for call in calls:
        visit(call.args)
    return total


@dataclass(frozen=True)
class LocalFunction:
    """`static MACRO(name, (k.field = value, ...))` in model.c: a kernel header's macro that
    defines an out-of-line body from a copy `k` of the params with these fields fixed."""
    macro: str
    name: str
    fixed: tuple[tuple[str, int], ...]


def tile_function(op, macro: str, kernel: str, fields: dict, fixed: tuple[str, ...]) -> LocalFunction | None:
    """For a call made once per tile of a patch-based stage, the body model.c defines for it: one
    for every tile (and layer) with the same values of the `fixed` fields, named after them. None
    for a layer-based call, which runs the kernel's always-inline body (<kernel>_inline)."""
    if not op.options.get("in_tile"):
        return None
    values = tuple((name, int(fields[name])) for name in fixed)
    return LocalFunction(macro, f"{kernel}_tiles_{hashlib.sha1(repr(values).encode()).hexdigest()[:10]}", values)


class Record:
    """A C parameter struct of a kernel, declared in C syntax as its header declares it (the
    test of the records checks each against its typedef, names, order and types). Calling it with
    the field values makes the `Struct` codegen prints, and refuses a field missing or unknown."""

    def __init__(self, ctype: str, declaration: str):
        self.ctype = ctype
        self.fields = parse_fields(declaration)
        _RECORDS.append(self)

    def __call__(self, values: dict) -> "Struct":
        names = [name for name, _ in self.fields]
        if set(values) != set(names):
            missing, unknown = sorted(set(names) - set(values)), sorted(set(values) - set(names))
            raise AssertionError(f"{self.ctype}: missing fields {missing}, unknown fields {unknown}")
        return Struct(self.ctype, {name: values[name] for name in names})


_RECORDS: list[Record] = []
_DECLARATOR = re.compile(r"(\**)\s*([A-Za-z_]\w*)((?:\[[^\]]*\])*)")


def parse_fields(declaration: str) -> list[tuple[str, str]]:
    """C member declarations ("int32_t a, b[4]; const int8_t *w;") as (name, type) pairs in order,
    the type normalised: "int32_t", "int32_t[4]", "const int8_t *"."""
    fields = []
    for statement in re.sub(r"/\*.*?\*/", " ", declaration, flags=re.DOTALL).split(";"):
        words = " ".join(statement.split())
        if not words:
            continue
        base, declarators = re.match(r"((?:const\s+)?(?:unsigned\s+)?[A-Za-z_]\w*)\s+(.*)", words).groups()
        for declarator in declarators.split(","):
            stars, name, dims = _DECLARATOR.fullmatch(declarator.strip()).groups()
            dims = "".join(f"[{d.strip()}]" for d in re.findall(r"\[([^\]]*)\]", dims))
            fields.append((name, base + (" " + stars if stars else "") + dims))
    return fields


def records() -> list[Record]:
    """Every record declared by the modules imported so far (every op module's among them)."""
    _load_all()
    return list(_RECORDS)


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
    kernel: str  # the header stem in tinygen/kernels/*/ that declares the function
    function: str
    args: list[Arg]
    # What the op computes, for `inspect` and profiling.
    macs: int = 0
    extra_kernels: list[str] = field(default_factory=list)  # more headers it needs
    # InPlace entries (tinygen.ops.inplace): how the output may overlap an input it consumes.
    inplace: list = field(default_factory=list)
    # The C files (stems) the call needs compiled; None: the kernel's own. An always-inline body
    # needs none, an out-of-line variant just its own.
    sources: tuple[str, ...] | None = None
    # A function model.c defines for this call (its `function`): a kernel's out-of-line body with
    # some of its parameters fixed as constants, shared by every call that names it.
    local: LocalFunction | None = None

    @property
    def c_sources(self) -> tuple[str, ...]:
        return (self.kernel,) if self.sources is None else self.sources

    # The step protocol (Call, Alias, tinygen.patch.Stage): what a step of a program reads and
    # writes, the scratch it needs, how its output may overlap an input, and its kernel calls.
    kind = "call"

    def reads(self, op: Op) -> list[Tensor]:
        return [t for t in op.inputs if t is not None and t.in_arena]

    def writes(self, op: Op) -> list[Tensor]:
        return list(op.outputs)

    def scratch(self) -> list[tuple[object, int]]:
        return [(s, s.nbytes) for s in call_scratches(self)]

    def overlaps(self, op: Op) -> list[tuple[Tensor, Tensor, Overlap]]:
        return [(i.input, op.outputs[0], Overlap(i.forward, i.backward)) for i in self.inplace]

    def kernel_calls(self, op: Op) -> list[tuple[Op, "Call"]]:
        return [(op, self)]


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
    """The op's output is its input's bytes under another shape: it moves no data."""
    source: Tensor
    target: Tensor

    kind = "alias"
    macs = 0

    def reads(self, op: Op) -> list[Tensor]:
        return [self.source]

    def writes(self, op: Op) -> list[Tensor]:
        return []

    def scratch(self) -> list:
        return []

    def overlaps(self, op: Op) -> list:
        return []

    def kernel_calls(self, op: Op) -> list:
        return []


Lowering = Callable[[Op], Union[Call, Alias]]


@dataclass(frozen=True)
class OpDef:
    """Everything tinygen knows of one op kind, defined beside its lowering: the frontend reads
    its options, the passes its shape, constant evaluation and fusions, the patch planner how it
    runs on a tile, the architecture search's cost model what kind of work it is."""
    kind: str
    lower: Lowering | None  # None: tinygen only folds it away (SHAPE, CAST)
    options: tuple = ()  # its flatbuffer option table: (name, struct format, default) in field order
    output_shape: Callable[[Op], tuple | None] | None = None  # from inputs and options, to check the file
    evaluate: Callable | None = None  # exact integer result from constant inputs (constant folding)
    takes_activation: bool = False  # a RELU after it may become its fused activation (passes/fuse_activations)
    takes_padding: bool = False  # a zero PAD before it may become its padding (passes/fold_pad)
    tiling: Callable[[Op], str | None] | None = None  # how it runs on a patch tile (tinygen.ops.tiling)
    cost: str | Callable[[Op], str] = "other"  # the latency model's kind: conv, pointwise, depthwise, other
    state_inputs: tuple = ()  # input positions that are variable tensors, the op's state across invokes
    operands: Signature | None = None  # what its inputs and outputs must be (checked by the model verifier)


ACTIVATION = ("activation", "b", 0)  # an option field: a fused activation, as every op with one stores it
EXACT_DTYPES = ("int32", "int64")


def exact(fn):
    """An OpDef.evaluate from a numpy function of the inputs' data. Only exact integer arithmetic
    is folded (shape computations); quantized math stays with the kernels."""
    def evaluate(op: Op):
        if len(op.outputs) != 1 or op.outputs[0].dtype not in EXACT_DTYPES:
            return None
        if not all(t is not None and t.is_const for t in op.inputs):
            return None
        return fn(op, *[t.data for t in op.inputs])
    return evaluate


_DEFINITIONS: dict[str, OpDef] = {}
_loaded = False


def define(*kinds: str, **properties):
    """Register the decorated lowering (or None, with lower=None) as the definition of these op kinds."""
    def decorate(fn: Lowering | None) -> Lowering | None:
        for kind in kinds:
            _DEFINITIONS[kind] = OpDef(kind, fn, **properties)
        return fn
    return decorate


def _load_all() -> None:
    global _loaded
    if not _loaded:
        for module in pkgutil.iter_modules(__path__):
            importlib.import_module(f"{__name__}.{module.name}")
        _loaded = True


def definition(kind: str) -> OpDef | None:
    _load_all()
    return _DEFINITIONS.get(kind)


def supported_ops() -> list[str]:
    _load_all()
    return sorted(kind for kind, d in _DEFINITIONS.items() if d.lower is not None)


def lower(op: Op) -> Call | Alias:
    found = definition(op.kind)
    if found is None or found.lower is None:
        raise TinygenError(f"{op.describe()}: unsupported op {op.kind} (supported: {', '.join(supported_ops())})")
    try:
        return found.lower(op)
    except QuantizationRangeError as e:
        raise TinygenError(f"{op.describe()}: {e}") from None
