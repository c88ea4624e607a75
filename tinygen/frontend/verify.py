"""The model verifier: run once, right after the model is read and before any pass.

In the spirit of TFLM's flatbuffer verifier and of the checks its kernels' Prepare functions
make, and of what the generated C needs to stay in bounds: every tensor's shape positive and its
byte size within limits that keep every offset the C computes in int32; quantization with finite
positive scales in a range where TFLM's own float arithmetic stays finite, zero points within the
type, one zero point per scale; the model's inputs and outputs present; the graph a DAG in
execution order (each tensor written once, before it is read, and never by the op that reads
it); every op's operands as its kernel needs them (each op definition's `operands`,
tinygen.ops.operands); options in range and enums known; and each output shape what its op
computes (OpDef.output_shape).

The reader checks what it needs to build the graph at all, as it resolves it: the file's own
bounds, opcode, tensor and buffer indices, and each constant's buffer holding exactly the bytes
its shape needs. After both, nothing downstream needs to defend itself against malformed input:
an exception there is a bug, reported as an internal error. Whether tinygen supports a valid
model (an int16 kernel, a custom op) is for lowering to say, op by op, so that `inspect` can
list it.
"""
from __future__ import annotations

import math

from tinygen.errors import TinygenError
from tinygen.frontend import schema
from tinygen.ir import Graph, Op, Tensor
from tinygen.ops import definition
from tinygen.ops.operands import Operand, Signature
from tinygen.ops.shapes import check_output_shape

INT32_MAX = (1 << 31) - 1
MAX_RANK = 6  # TFLM's RuntimeShape holds at most 6 dims
MAX_TENSOR_BYTES = 1 << 28
MAX_ACTIVATION_BYTES = 1 << 30  # all activations together: arena offsets fit int32 with room for scratch
# Scales of real models lie within 1e-13..1e2. Outside this range TFLM's float32 arithmetic
# (6 / scale for a RELU6 clamp, scale * 255 for a dequantized value) overflows to infinity,
# whose conversion to an integer is undefined.
MIN_SCALE, MAX_SCALE = 1e-30, 1e30
ZERO_POINT_RANGE = {"int8": (-128, 127), "uint8": (0, 255), "int16": (-32768, 32767), "int32": (-(1 << 31), INT32_MAX)}

# Options that count or step: TFLM's kernels divide by them or loop over them.
OPTION_MINIMUMS = {"stride_w": 1, "stride_h": 1, "dilation_w": 1, "dilation_h": 1, "filter_width": 1,
                   "filter_height": 1, "depth_multiplier": 1, "block_size": 1}
FLOAT_OPTIONS = ("alpha", "beta")
ENUM_OPTIONS = {"padding": set(schema.PADDING.values()), "activation": set(schema.ACTIVATIONS.values()),
                "mode": set(schema.MIRROR_PAD_MODES.values()), "quantized_bias_type": set(schema.TENSOR_TYPE_CODES)}
AXIS_OPTIONS = {"CONCATENATION": "output", "PACK": "output", "GATHER": "input", "UNPACK": "input"}
# Sliding-window ops: where the window's height and width come from.
WINDOWS = {"CONV_2D": "weights", "DEPTHWISE_CONV_2D": "weights", "TRANSPOSE_CONV": "weights",
           "AVERAGE_POOL_2D": "options", "MAX_POOL_2D": "options"}


def verify(graph: Graph) -> None:
    used = _used_tensors(graph)
    for t in used:
        _check_tensor(t)
    total = sum(t.nbytes for t in used if not t.is_const)
    if total > MAX_ACTIVATION_BYTES:
        raise TinygenError(f"the model's activations need {total:,} bytes in all, above tinygen's limit of "
                           f"{MAX_ACTIVATION_BYTES:,}")
    _check_boundary(graph)
    _check_order(graph)
    for op in graph.ops:
        _check_op(op)


def _used_tensors(graph: Graph) -> list[Tensor]:
    seen = {id(t): t for t in graph.inputs + graph.outputs if t is not None}
    for op in graph.ops:
        seen.update((id(t), t) for t in op.inputs + op.outputs if t is not None)
    return list(seen.values())


def _check_tensor(t: Tensor) -> None:
    if len(t.shape) > MAX_RANK:
        raise TinygenError(f"{t.describe()} has rank {len(t.shape)}; TFLM supports at most {MAX_RANK}")
    if not t.is_const and 0 in t.shape:
        raise TinygenError(f"{t.describe()} has shape {t.shape}: an empty activation (a dimension of 0)")
    if t.nbytes > MAX_TENSOR_BYTES:
        raise TinygenError(f"{t.describe()} of shape {t.shape} needs {t.nbytes:,} bytes, above tinygen's limit of "
                           f"{MAX_TENSOR_BYTES:,} per tensor")
    if t.quant is not None:
        _check_quantization(t)


def _check_quantization(t: Tensor) -> None:
    q = t.quant
    if len(q.zero_point) != len(q.scale):
        raise TinygenError(f"{t.describe()} has {len(q.scale)} scales and {len(q.zero_point)} zero points")
    bad = [float(s) for s in q.scale if not (math.isfinite(s) and MIN_SCALE <= s <= MAX_SCALE)]
    if bad:
        raise TinygenError(f"{t.describe()} has scale {bad[0]:g}; scales must be finite and within "
                           f"{MIN_SCALE:g}..{MAX_SCALE:g}")
    low, high = ZERO_POINT_RANGE.get(t.dtype, (-(1 << 63), (1 << 63) - 1))
    outside = [int(z) for z in q.zero_point if not low <= z <= high]
    if outside:
        raise TinygenError(f"{t.describe()} ({t.dtype}) has zero point {outside[0]}, outside {low}..{high}")


def _check_boundary(graph: Graph) -> None:
    """Inputs and outputs present and not constants. A tensor listed twice among the outputs is
    allowed: converters dedupe identical ops into one output listed twice."""
    for kind, tensors in (("input", graph.inputs), ("output", graph.outputs)):
        if not tensors:
            raise TinygenError(f"the model has no {kind}s")
        for i, t in enumerate(tensors):
            if t is None:
                raise TinygenError(f"the model's {kind} {i} is no tensor (index -1)")
            if t.is_const:
                raise TinygenError(f"the model's {kind} {i}, {t.describe()}, is a constant")
    if len({id(t) for t in graph.inputs}) != len(graph.inputs):
        raise TinygenError("the model lists a tensor twice among its inputs")


def _check_order(graph: Graph) -> None:
    """The ops in execution order form a DAG: each activation written once, by an op before any
    that reads it, and never by a model input; ops tinygen does not know may read tensors nothing
    writes (an accelerator's scratch buffers), which their lowering refuses anyway."""
    written = {id(t): "a model input" for t in graph.inputs}
    for op in graph.ops:
        if not op.outputs or any(t is None for t in op.outputs):
            raise TinygenError(f"{op.describe()} has {'a missing output' if op.outputs else 'no outputs'}")
        for t in op.inputs:
            if t is None or t.is_const or id(t) in written:
                continue
            if any(t is o for o in op.outputs):
                raise TinygenError(f"{op.describe()} reads its own output {t.describe()}")
            later = next((o for o in graph.ops if any(t is w for w in o.outputs)), None)
            if later is not None:
                raise TinygenError(f"{op.describe()} reads {t.describe()} before {later.describe()} writes it")
            if _signature(op) is not None:
                raise TinygenError(f"{op.describe()} reads {t.describe()}, which no op writes and no model input is")
        for t in op.outputs:
            if t.is_const:
                raise TinygenError(f"{op.describe()} writes {t.describe()}, which is a constant")
            if id(t) in written:
                raise TinygenError(f"{op.describe()} writes {t.describe()}, already written by {written[id(t)]}")
            written[id(t)] = op.describe()
    unwritten = next((t for t in graph.outputs if id(t) not in written), None)
    if unwritten is not None:
        raise TinygenError(f"no op writes the model's output {unwritten.describe()}")


def _signature(op: Op) -> Signature | None:
    defined = definition(op.kind)
    return defined.operands if defined is not None else None


def _check_op(op: Op) -> None:
    signature = _signature(op)
    if signature is not None:
        _check_operands(op, signature)
    _check_options(op)
    if op.kind in WINDOWS:
        _check_window(op)
    if signature is not None:
        check_output_shape(op)


def _check_operands(op: Op, signature: Signature) -> None:
    specs = list(signature.inputs)
    if signature.repeated_input:
        specs += [specs[-1]] * (len(op.inputs) - len(specs))
    if len(op.inputs) > len(specs):
        raise TinygenError(f"{op.describe()} has {len(op.inputs)} inputs; it takes at most {len(specs)}")
    for i, spec in enumerate(specs):
        t = op.input(i)
        if t is None:
            if not spec.optional:
                raise TinygenError(f"{op.describe()} lacks its input {i}")
            continue
        _check_operand(op, i, t, spec)
    if not signature.several_outputs and len(op.outputs) != 1:
        raise TinygenError(f"{op.describe()} has {len(op.outputs)} outputs; it writes one")
    if signature.output_ranks is not None and len(op.outputs[0].shape) not in signature.output_ranks:
        raise TinygenError(f"{op.describe()}: the output {op.outputs[0].describe()} has rank "
                           f"{len(op.outputs[0].shape)}; it must be {_ranks(signature.output_ranks)}")


def _ranks(ranks: tuple[int, ...]) -> str:
    return " or ".join(map(str, ranks))


def _check_operand(op: Op, i: int, t: Tensor, spec: Operand) -> None:
    where = f"{op.describe()}: input {i}, {t.describe()},"
    if spec.ranks is not None and len(t.shape) not in spec.ranks:
        raise TinygenError(f"{where} has rank {len(t.shape)}; it must be {_ranks(spec.ranks)}")
    if spec.dtypes is not None and t.dtype not in spec.dtypes:
        raise TinygenError(f"{where} is {t.dtype}; it must be {' or '.join(spec.dtypes)}")
    if spec.constant and not t.is_const:
        raise TinygenError(f"{where} must be a constant")
    if spec.channel_axis is not None and t.quant is not None and t.quant.per_channel:
        channels = t.shape[spec.channel_axis]
        if len(t.quant.scale) != channels:
            raise TinygenError(f"{where} has {len(t.quant.scale)} per-channel scales for {channels} channels "
                               f"(axis {spec.channel_axis})")
    if spec.length_of is not None:
        source, axis = spec.length_of
        wanted = op.inputs[source].shape[axis]
        if t.size != wanted:
            raise TinygenError(f"{where} has {t.size} values; the op has {wanted} channels")


def _check_options(op: Op) -> None:
    for name, value in op.options.items():
        if name in OPTION_MINIMUMS and value < OPTION_MINIMUMS[name]:
            raise TinygenError(f"{op.describe()}: option {name} is {value}; it must be at least {OPTION_MINIMUMS[name]}")
        if name in ENUM_OPTIONS and value not in ENUM_OPTIONS[name]:
            raise TinygenError(f"{op.describe()}: unknown {name} code {value}")
        if name in FLOAT_OPTIONS and not math.isfinite(value):
            raise TinygenError(f"{op.describe()}: option {name} is {value}; it must be finite")
    if op.kind in AXIS_OPTIONS:
        t = op.outputs[0] if AXIS_OPTIONS[op.kind] == "output" else op.inputs[0]
        rank, axis = len(t.shape), op.options["axis"]
        if not -rank <= axis < rank:
            raise TinygenError(f"{op.describe()}: axis {axis} is out of range for rank {rank}")


def _check_window(op: Op) -> None:
    """Every index a sliding window reaches, padding included, fits int32 (the C's arithmetic)."""
    o = op.options
    kernel = op.inputs[1].shape[1:3] if WINDOWS[op.kind] == "weights" else (o["filter_height"], o["filter_width"])
    image, result = (op.outputs[0], op.inputs[2]) if op.kind == "TRANSPOSE_CONV" else (op.inputs[0], op.outputs[0])
    for axis, k, stride, dilation in ((1, kernel[0], o["stride_h"], o.get("dilation_h", 1)),
                                      (2, kernel[1], o["stride_w"], o.get("dilation_w", 1))):
        reach = result.shape[axis] * stride + (k - 1) * dilation + 1 + image.shape[axis]
        if reach > INT32_MAX:
            raise TinygenError(f"{op.describe()}: a window of {k} with stride {stride} and dilation {dilation} "
                               f"reaches beyond int32 indices")
