"""Read a .tflite flatbuffer into the IR, without TensorFlow."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from tinygen.errors import TinygenError
from tinygen.frontend import schema
from tinygen.frontend.flatbuffer import FlatbufferError, Table, root_table
from tinygen.frontend.verify import verify
from tinygen.ir import Graph, Op, Quant, Tensor
from tinygen.ops import definition


def load_model(path: str | Path) -> Graph:
    path = Path(path)
    try:
        buf = path.read_bytes()
    except OSError as e:
        raise TinygenError(f"{path}: cannot read ({e.strerror})") from None
    try:
        graph = _read_graph(buf, path.stem)
        verify(graph)
    except FlatbufferError as e:
        raise TinygenError(f"{path}: not a valid TFLite model ({e})") from None
    except TinygenError as e:
        raise TinygenError(f"{path}: {e}") from None
    return graph


def _read_graph(buf: bytes, name: str) -> Graph:
    model = root_table(buf, identifier=b"TFL3")
    subgraphs = model.tables(schema.MODEL_SUBGRAPHS)
    if not subgraphs:
        raise TinygenError("the model has no subgraph")
    op_names = [_op_name(code) for code in model.tables(schema.MODEL_OPERATOR_CODES)]
    buffers = model.tables(schema.MODEL_BUFFERS)
    sub = subgraphs[0]

    tensors = [_read_tensor(t, i, buffers, buf) for i, t in enumerate(sub.tables(schema.SUBGRAPH_TENSORS))]

    def tensor_list(indices) -> list[Tensor | None]:
        if indices is None:
            return []
        out = []
        for i in indices:
            if i == -1:
                out.append(None)
            elif 0 <= i < len(tensors):
                out.append(tensors[i])
            else:
                raise FlatbufferError(f"tensor index {i} out of range")
        return out

    ops = []
    for index, table in enumerate(sub.tables(schema.SUBGRAPH_OPERATORS)):
        code = table.scalar(schema.OPERATOR_OPCODE, "I")
        if code >= len(op_names):
            raise FlatbufferError(f"op {index} has opcode index {code} out of range")
        kind = op_names[code]
        ops.append(Op(kind, tensor_list(table.array(schema.OPERATOR_INPUTS, "<i4")),
                      tensor_list(table.array(schema.OPERATOR_OUTPUTS, "<i4")),
                      _read_options(kind, _options_table(kind, table)), index))

    inputs = tensor_list(sub.array(schema.SUBGRAPH_INPUTS, "<i4"))
    outputs = tensor_list(sub.array(schema.SUBGRAPH_OUTPUTS, "<i4"))
    return Graph(name, tensors, ops, inputs, outputs)


def _op_name(code: Table) -> str:
    builtin = max(code.scalar(schema.OPCODE_BUILTIN, "i"), code.scalar(schema.OPCODE_DEPRECATED_BUILTIN, "b"))
    if builtin == 32:  # CUSTOM
        return "CUSTOM:" + code.string(schema.OPCODE_CUSTOM, "?")
    return schema.BUILTIN_OPS[builtin] if builtin < len(schema.BUILTIN_OPS) else f"BUILTIN_{builtin}"


def _read_tensor(table: Table, index: int, buffers: list[Table], buf: bytes) -> Tensor:
    name = table.string(schema.TENSOR_NAME, f"t{index}")
    type_code = table.scalar(schema.TENSOR_TYPE, "b")
    dtype = schema.TENSOR_TYPES.get(type_code)
    if dtype is None:
        raise TinygenError(f"tensor {index} '{name}' has type code {type_code}, which tinygen does not support")
    shape_array = table.array(schema.TENSOR_SHAPE, "<i4")
    shape = tuple(int(d) for d in shape_array) if shape_array is not None else ()
    signature = table.array(schema.TENSOR_SHAPE_SIGNATURE, "<i4")
    # A -1 batch in the signature is what Keras writes for batch 1; TFLM runs it with the shape.
    if any(d < 0 for d in shape) or (signature is not None and any(d < 0 for d in signature[1:])):
        shown = tuple(int(d) for d in (signature if signature is not None else shape))
        raise TinygenError(f"tensor {index} '{name}' has a dynamic shape {shown}; "
                           "tinygen needs static shapes (fix the batch size before converting)")
    if table.table(schema.TENSOR_SPARSITY) is not None:
        raise TinygenError(f"tensor {index} '{name}' is sparse; tinygen needs dense tensors")
    variable = table.scalar(schema.TENSOR_IS_VARIABLE, "?", False)
    tensor = Tensor(name, shape, dtype, _read_quant(table.table(schema.TENSOR_QUANT)), index=index,
                    is_variable=bool(variable))
    # A variable's buffer, if any, is not its value: TFLM resets variables at start-up (to zero, or
    # the zero point of an int8 one) whatever the file holds.
    tensor.data = None if variable else _read_data(table.scalar(schema.TENSOR_BUFFER, "I"), buffers, buf, tensor)
    return tensor


def _read_quant(table: Table | None) -> Quant | None:
    if table is None:
        return None
    scale = table.array(schema.QUANT_SCALE, "<f4")
    zero_point = table.array(schema.QUANT_ZERO_POINT, "<i8")
    if scale is None or len(scale) == 0:
        return None
    if zero_point is None or len(zero_point) == 0:
        zero_point = np.zeros(len(scale), np.int64)
    return Quant(scale.astype(np.float32), zero_point.astype(np.int64), table.scalar(schema.QUANT_AXIS, "i"))


def _read_data(buffer_index: int, buffers: list[Table], buf: bytes, tensor: Tensor) -> np.ndarray | None:
    if buffer_index >= len(buffers):
        raise FlatbufferError(f"{tensor.describe()} refers to buffer {buffer_index}; the model has {len(buffers)}")
    if buffer_index == 0:
        return None
    buffer = buffers[buffer_index]
    raw = buffer.array(schema.BUFFER_DATA, "u1")
    if raw is not None and len(raw) == 0 and tensor.size == 0:
        return np.zeros(tensor.shape, tensor.dtype)  # an empty constant, e.g. no axes to reduce
    if raw is None or len(raw) == 0:
        offset, size = buffer.scalar(schema.BUFFER_OFFSET, "Q"), buffer.scalar(schema.BUFFER_SIZE, "Q")
        if offset <= 1:
            return None
        if offset + size > len(buf):
            raise FlatbufferError(f"data of {tensor.describe()} runs past the end of the file")
        raw = np.frombuffer(buf, "u1", count=size, offset=offset)
    expected = tensor.nbytes
    if len(raw) != expected:
        raise FlatbufferError(f"{tensor.describe()} holds {len(raw)} bytes, its shape needs {expected}")
    return raw.view(np.dtype(tensor.dtype).newbyteorder("<")).reshape(tensor.shape).astype(tensor.dtype)


def _options_table(kind: str, op: Table) -> Table | None:
    """The op's option table, or None where it has none or one of another type than its own."""
    if op.scalar(schema.OPERATOR_OPTIONS_TYPE, "B") != schema.BUILTIN_OPTIONS.get(kind):
        return None
    return op.table(schema.OPERATOR_OPTIONS)


def _read_options(kind: str, table: Table | None) -> dict:
    options = {}
    defined = definition(kind)
    for index, (name, fmt, default) in enumerate(defined.options if defined else ()):
        if table is None:
            value = default
        elif fmt.startswith("["):
            array = table.array(index, "<" + fmt[1:] + "4")
            value = None if array is None else [int(v) for v in array]
        else:
            value = table.scalar(index, fmt, default)
        options[name] = value
    # Enum codes the schema does not know stay numbers: the verifier names them.
    for name, names in (("padding", schema.PADDING), ("activation", schema.ACTIVATIONS),
                        ("mode", schema.MIRROR_PAD_MODES)):
        if name in options:
            options[name] = names.get(options[name], options[name])
    return options
