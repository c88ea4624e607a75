"""The fuzz tier's mutator of .tflite files (used by test_fuzz.py and benchmarks/fuzz.py):
deterministic, mutant i of a seed is the same on every run.

Byte mutations (bit flips, overwrites, truncation) aim mostly at the flatbuffer's structure
rather than at the weights, since a flipped weight only changes numbers. Model mutations edit
one field through the flatbuffer object API that the tflite-micro package ships (no TensorFlow)
and pack the model again: shapes, types, tensor and buffer indices, quantization, opcodes,
options, op inputs and outputs, execution order and the subgraph's inputs and outputs, each set
to the values a careless or hostile writer would put there.
"""
from __future__ import annotations

import math
import random
import struct
from dataclasses import dataclass
from typing import Callable

import flatbuffers
import numpy as np
from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as schema

from tinygen.frontend import schema as fields
from tinygen.frontend.flatbuffer import FlatbufferError, root_table

INT32_MAX, INT32_MIN = (1 << 31) - 1, -(1 << 31)
DIMENSIONS = [0, -1, 1, 2, 3, 7, 64, 1 << 16, INT32_MAX, INT32_MIN]
INTEGERS = [0, -1, 1, 2, 3, 4, 7, 127, 128, 255, 256, 1 << 15, 1 << 16, INT32_MAX, INT32_MIN]
SCALES = [0.0, -0.5, math.nan, math.inf, -math.inf, 3.4e38, 1e-45, 1e-30, 1e30, 2.0, 1.0]
ZERO_POINTS = [128, -129, 255, 256, -1000, 1 << 31, -(1 << 40), 127, -128, 0]
BYTES = [0x00, 0xFF, 0x7F, 0x80, 0x01, 0xFE]
TENSOR_TYPES = [0, 1, 2, 3, 4, 6, 7, 9, 10, 15, 16, 17, 40, -1]  # the types tinygen reads, a few it does not


@dataclass(frozen=True)
class Mutant:
    seed: str  # the seed model's name
    index: int
    mutation: str
    data: bytes

    @property
    def name(self) -> str:
        return f"{self.seed}-{self.index}-{self.mutation}"


class Mutator:
    """Mutant `index` of `seeds` (name -> .tflite bytes) under `seed`: a seed model and a
    mutation drawn from a random generator seeded by (seed, index) alone."""

    def __init__(self, seeds: dict[str, bytes], seed: int = 0):
        self.seeds = dict(sorted(seeds.items()))
        self.seed = seed
        self._structure = {name: _structure_positions(data) for name, data in self.seeds.items()}

    def mutant(self, index: int) -> Mutant:
        rng = random.Random(f"{self.seed}:{index}")
        name = rng.choice(list(self.seeds))
        data = self.seeds[name]
        for _ in range(8):  # a model mutation may not apply to this model (no options, one op): draw again
            mutation = rng.choice(list(MUTATIONS))
            mutated = MUTATIONS[mutation](rng, data, self._structure[name])
            if mutated is not None and mutated != data:
                return Mutant(name, index, mutation, mutated)
        return Mutant(name, index, "bit_flip", _bit_flip(rng, data, self._structure[name]))


# --- byte mutations ---------------------------------------------------------------------------

def _structure_positions(data: bytes) -> range | list[int]:
    """Byte positions outside the buffers' data (where weights live), or all when unreadable."""
    try:
        root = root_table(data, identifier=b"TFL3")
        spans = [buffer._vector(fields.BUFFER_DATA) for buffer in root.tables(fields.MODEL_BUFFERS)]
    except FlatbufferError:
        return range(len(data))
    inside = np.zeros(len(data), bool)
    for start, length in filter(None, spans):
        inside[start:start + length] = True
    return np.flatnonzero(~inside).tolist() or range(len(data))


def _position(rng: random.Random, data: bytes, structure) -> int:
    """Mostly a structure byte; one time in four anywhere."""
    return rng.choice(structure) if rng.random() < 0.75 else rng.randrange(len(data))


def _bit_flip(rng, data: bytes, structure) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        out[_position(rng, data, structure)] ^= 1 << rng.randrange(8)
    return bytes(out)


def _byte_overwrite(rng, data: bytes, structure) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        out[_position(rng, data, structure)] = rng.choice(BYTES)
    return bytes(out)


def _int_overwrite(rng, data: bytes, structure) -> bytes:
    """An aligned 32-bit word (offsets, lengths, indices, scalars) set to an edge value."""
    out = bytearray(data)
    position = min(_position(rng, data, structure) // 4 * 4, len(data) - 4)
    struct.pack_into("<i", out, position, rng.choice(INTEGERS))
    return bytes(out)


def _truncate(rng, data: bytes, structure) -> bytes:
    return data[:rng.randrange(len(data))]


# --- model mutations --------------------------------------------------------------------------

def _model_mutation(edit: Callable[[random.Random, schema.ModelT], bool | None]):
    """A mutation through the object API: edit(rng, model) changes the model in place (False
    when it does not apply to this model), and the model is packed again."""
    def mutate(rng, data: bytes, structure) -> bytes | None:
        try:
            model = schema.ModelT.InitFromObj(schema.Model.GetRootAs(data, 0))
        except Exception:  # noqa: BLE001 - a seed the object API cannot read has no model mutations
            return None
        if not model.subgraphs or edit(rng, model) is False:
            return None
        builder = flatbuffers.Builder(len(data) + 1024)
        try:
            builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
        except TypeError:  # a value too wide for its field (an int32 in a byte enum): draw another
            return None
        return bytes(builder.Output())

    mutate.__name__ = edit.__name__
    return mutate


def _graph(model):
    return model.subgraphs[0]


def _pick(rng, items):
    return rng.choice(items) if items else None


def _tensor(rng, model, quantized: bool = False):
    tensors = [t for t in _graph(model).tensors or []
               if not quantized or (t.quantization is not None and t.quantization.scale is not None
                                    and len(t.quantization.scale))]
    return _pick(rng, tensors)


def _op(rng, model):
    return _pick(rng, _graph(model).operators or [])


def _list(values) -> list[int]:
    return [] if values is None else [int(v) for v in values]


@_model_mutation
def shape(rng, model):
    t = _tensor(rng, model)
    if t is None:
        return False
    dims = _list(t.shape)
    choice = rng.randrange(4)
    if choice == 0 and dims:
        dims[rng.randrange(len(dims))] = rng.choice(DIMENSIONS)
    elif choice == 1:
        dims.insert(rng.randrange(len(dims) + 1), rng.choice([1, 2, 0]))
    elif choice == 2 and dims:
        del dims[rng.randrange(len(dims))]
    else:
        dims = [] if rng.random() < 0.5 else dims[::-1]
    t.shape = dims
    if t.shapeSignature is not None and rng.random() < 0.5:
        t.shapeSignature = dims


def _field_mutation(name: str, pick, field: str, values):
    """A mutation setting one field of what pick(rng, model) draws to one of values(rng, model)."""
    def edit(rng, model):
        target = pick(rng, model)
        if target is None:
            return False
        setattr(target, field, rng.choice(values(rng, model)))

    edit.__name__ = name
    return _model_mutation(edit)


def _buffer_indices(rng, model) -> list[int]:
    count = len(model.buffers or [])
    return [0, count, count + 7, (1 << 32) - 1, rng.randrange(max(count, 1))]


tensor_type = _field_mutation("tensor_type", _tensor, "type", lambda rng, model: TENSOR_TYPES)
buffer_index = _field_mutation("buffer_index", _tensor, "buffer", _buffer_indices)
opcode_index = _field_mutation("opcode_index", _op, "opcodeIndex",
                               lambda rng, model: [len(model.operatorCodes or []) + k for k in (0, 3)] + [(1 << 32) - 1])


@_model_mutation
def buffer_size(rng, model):
    """A constant's data one element short or long, or emptied."""
    constants = [b for b in model.buffers or [] if b.data is not None and len(b.data)]
    buffer = _pick(rng, constants)
    if buffer is None:
        return False
    data = np.asarray(buffer.data, np.uint8)
    cut = rng.choice([1, 4, len(data)])
    buffer.data = data[:-cut] if rng.random() < 0.6 else np.concatenate([data, data[:cut]])


def _tensor_indices(model) -> list[int]:
    """Indices out of range, -1 (absent) and one tensor at random."""
    count = len(_graph(model).tensors or [])
    return [count, count + 100, -1, -2, INT32_MAX, INT32_MIN]


def _some_tensor(rng, model) -> int:
    return rng.randrange(max(len(_graph(model).tensors or []), 1))


def _edit_indices(rng, holder, inputs_share: float, edit) -> bool | None:
    """edit(list) on the holder's (an op's or the subgraph's) inputs, with probability
    inputs_share, or else its outputs; False when there is no holder or edit returns None."""
    if holder is None:
        return False
    which = "inputs" if rng.random() < inputs_share else "outputs"
    indices = edit(_list(getattr(holder, which)))
    if indices is None:
        return False
    setattr(holder, which, indices)


@_model_mutation
def op_tensor_index(rng, model):
    def edit(indices):
        if indices:
            indices[rng.randrange(len(indices))] = rng.choice(_tensor_indices(model) + [_some_tensor(rng, model)])
            return indices

    return _edit_indices(rng, _op(rng, model), 0.7, edit)


@_model_mutation
def op_arity(rng, model):
    """An input or output dropped, or one more."""
    def edit(indices):
        if indices and rng.random() < 0.5:
            del indices[rng.randrange(len(indices))]
        else:
            indices.append(rng.choice([-1, _some_tensor(rng, model)]))
        return indices

    return _edit_indices(rng, _op(rng, model), 0.7, edit)


@_model_mutation
def reads_own_output(rng, model):
    op = _op(rng, model)
    if op is None or not len(op.inputs if op.inputs is not None else []) or op.outputs is None or not len(op.outputs):
        return False
    inputs = _list(op.inputs)
    inputs[rng.randrange(len(inputs))] = int(op.outputs[0])
    op.inputs = inputs


@_model_mutation
def reads_later_output(rng, model):
    """An op reads what a later op writes: a cycle, or a use before the definition."""
    ops = _graph(model).operators or []
    if len(ops) < 2:
        return False
    first = rng.randrange(len(ops) - 1)
    later = ops[rng.randrange(first + 1, len(ops))]
    inputs = _list(ops[first].inputs)
    if not inputs or later.outputs is None or not len(later.outputs):
        return False
    inputs[rng.randrange(len(inputs))] = int(later.outputs[0])
    ops[first].inputs = inputs


@_model_mutation
def op_order(rng, model):
    """Two ops swapped, an op moved last, deleted or duplicated (two writers of one tensor)."""
    ops = _graph(model).operators or []
    if len(ops) < 2:
        return False
    i, j = rng.sample(range(len(ops)), 2)
    choice = rng.randrange(4)
    if choice == 0:
        ops[i], ops[j] = ops[j], ops[i]
    elif choice == 1:
        ops.append(ops.pop(i))
    elif choice == 2:
        del ops[i]
    else:
        ops.insert(j, ops[i])


def _quantization_mutation(name: str, field: str, dtype, values):
    """One entry of a quantized tensor's scales or zero points set to one of values."""
    def edit(rng, model):
        t = _tensor(rng, model, quantized=True)
        if t is None:
            return False
        q = t.quantization
        entries = np.array(getattr(q, field) if getattr(q, field) is not None and len(getattr(q, field))
                           else np.zeros(len(q.scale)), dtype)
        entries[rng.randrange(len(entries))] = rng.choice(values)
        setattr(q, field, entries)

    edit.__name__ = name
    return _model_mutation(edit)


scale = _quantization_mutation("scale", "scale", np.float32, SCALES)
zero_point = _quantization_mutation("zero_point", "zeroPoint", np.int64, ZERO_POINTS)


@_model_mutation
def quantization_layout(rng, model):
    """Per-channel lengths that disagree with each other or the channels, or a bad axis."""
    t = _tensor(rng, model, quantized=True)
    if t is None:
        return False
    q = t.quantization
    choice = rng.randrange(4)
    if choice == 0:
        q.scale = np.concatenate([q.scale, q.scale[:1]]).astype(np.float32)
    elif choice == 1 and len(q.scale) > 1:
        q.scale = np.array(q.scale[:-1], np.float32)
    elif choice == 2:
        q.zeroPoint = np.zeros(len(q.scale) + rng.choice([1, 2]), np.int64)
    else:
        q.quantizedDimension = rng.choice([-1, 1, 3, 4, 100])


@_model_mutation
def opcode(rng, model):
    """An opcode becomes another builtin (its options no longer match), one past the known, or custom."""
    code = _pick(rng, model.operatorCodes or [])
    if code is None:
        return False
    builtin = rng.choice([rng.randrange(len(fields.BUILTIN_OPS)), 32, len(fields.BUILTIN_OPS) + 5, 300])
    code.builtinCode = builtin
    code.deprecatedBuiltinCode = min(builtin, 127)


def _op_with_options(rng, model):
    return _pick(rng, [op for op in _graph(model).operators or [] if op.builtinOptions is not None])


@_model_mutation
def options(rng, model):
    """One numeric field of an op's options set to an edge value (strides, filters, axes, beta...)."""
    op = _op_with_options(rng, model)
    if op is None:
        return False
    numeric = [name for name, value in vars(op.builtinOptions).items()
               if isinstance(value, (int, float, np.integer, np.floating))]
    if not numeric:
        return False
    name = rng.choice(numeric)
    value = getattr(op.builtinOptions, name)
    if isinstance(value, bool):
        setattr(op.builtinOptions, name, not value)
    elif isinstance(value, (float, np.floating)):
        setattr(op.builtinOptions, name, rng.choice(SCALES))
    elif rng.random() < 0.5:  # small values fit the byte fields too (enums: padding, activation, types)
        setattr(op.builtinOptions, name, rng.choice([-1, 0, 1, 2, 3, 4, 5, 6, 7, 100, 127]))
    else:
        setattr(op.builtinOptions, name, rng.choice([1 << 16, INT32_MAX, INT32_MIN]))


@_model_mutation
def options_table(rng, model):
    """An op's options removed, or tagged as another options type."""
    op = _op_with_options(rng, model)
    if op is None:
        return False
    if rng.random() < 0.5:
        op.builtinOptionsType, op.builtinOptions = 0, None
    else:
        op.builtinOptionsType = rng.choice([1, 5, 8, 9, 10, 17, 19])  # the tables still differ in layout


@_model_mutation
def subgraph_io(rng, model):
    """The subgraph's inputs or outputs emptied, duplicated, -1, out of range or another tensor."""
    def edit(indices):
        choice = rng.randrange(4)
        if choice == 0:
            return []
        if choice == 1 and indices:
            return indices + indices[:1]
        if choice == 2 and indices:
            indices[rng.randrange(len(indices))] = rng.choice(_tensor_indices(model))
            return indices
        return indices + [_some_tensor(rng, model)]

    return _edit_indices(rng, _graph(model), 0.6, edit)


@_model_mutation
def constness(rng, model):
    """A constant loses its data (buffer 0), or an activation points at a weights buffer."""
    t = _tensor(rng, model)
    if t is None:
        return False
    if t.buffer and model.buffers[t.buffer].data is not None:
        t.buffer = 0
    else:
        filled = [i for i, b in enumerate(model.buffers or []) if b.data is not None and len(b.data)]
        if not filled:
            return False
        t.buffer = rng.choice(filled)


MUTATIONS = {
    "bit_flip": _bit_flip, "byte_overwrite": _byte_overwrite, "int_overwrite": _int_overwrite, "truncate": _truncate,
    **{m.__name__: m for m in (shape, tensor_type, buffer_index, buffer_size, op_tensor_index, op_arity,
                               reads_own_output, reads_later_output, op_order, scale, zero_point,
                               quantization_layout, opcode_index, opcode, options, options_table, subgraph_io,
                               constness)},
}
