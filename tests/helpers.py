"""What the tests share: paths, the command line, Keras models quantized with TFLiteConverter,
one-op models written with tflite-micro's schema classes (no TensorFlow), and the bit-exactness
check against TFLite Micro on the host, with one build per compiled program.

TensorFlow is imported lazily: only tests that build Keras models need it.
"""
from __future__ import annotations

import functools
import os
import struct
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("TINYGEN_SHARED", REPO.parent / "shared"))
SHARED_MODELS = sorted((SHARED / "models").glob("*.tflite"))
EXAMPLE = REPO / "examples" / "models" / "tiny_cnn_int8.tflite"

FEW = settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck))
SOME = settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
EVERY_INT8 = np.arange(-128, 128, dtype=np.int8)


def shared_or_skip(relative: str) -> Path:
    path = SHARED / relative
    if not path.exists():
        pytest.skip(f"{path} is absent (the real models and data live in ../shared)")
    return path


def run_cli(*args, cwd=REPO, env=None) -> subprocess.CompletedProcess:
    """`tinygen ARGS` in a child process, as a user runs it."""
    return subprocess.run([sys.executable, "-m", "tinygen", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, env=env)


def assert_one_line_error(result, *words):
    """A refusal as users must see it: exit 2 and one line naming the problem (these words)."""
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("tinygen: error:"), result.stderr
    assert "Traceback" not in result.stderr
    for word in words:
        assert word in lines[0], lines[0]


# --------------------------------------------------------------------------- compiled programs

@functools.cache
def compiled(path: Path, options=None, target: str | None = None):
    """The program for (model, options, board), compiled once for every test that asks."""
    from tinygen.boards import get_board
    from tinygen.compiler import compile_model
    from tinygen.options import DEFAULT

    return compile_model(path, options or DEFAULT, get_board(target) if target else None)


_BUILDS = tempfile.TemporaryDirectory(prefix="tinygen-test-builds-")


_HOST_BUILDS: dict = {}  # (id(program), sanitize) -> (the program, kept alive so its id stays its own, the runner)


def host_build(program, sanitize: bool = False) -> Path:
    """The host runner of a program (with `sanitize`, under clang's ASan and UBSan), built once."""
    from tinygen.validate import build_host

    key = (id(program), sanitize)
    if key not in _HOST_BUILDS:
        _HOST_BUILDS[key] = program, build_host(program, Path(tempfile.mkdtemp(dir=_BUILDS.name)), sanitize)
    return _HOST_BUILDS[key][1]


def assert_exact(path: Path, program, samples: int = 4, seed: int = 1, sanitize: bool = False):
    """The program's host runner against TFLite Micro on random inputs, bit for bit (with
    `sanitize`, built under the sanitizers, whose first report fails the run)."""
    from tinygen.inputs import random_inputs
    from tinygen.oracle import run_tflm
    from tinygen.passes.int8_io import to_model_outputs, to_program_inputs
    from tinygen.validate import compare, run_host

    inputs = random_inputs(program.graph, samples, seed)
    fed = [to_program_inputs(program.graph, sample) for sample in inputs]
    ours = [to_model_outputs(program.graph, o) for o in run_host(host_build(program, sanitize), program, fed)]
    reports = compare(program, ours, run_tflm(path, inputs, len(program.graph.outputs)))
    assert all(r.max_abs_diff == 0 for r in reports), reports
    return reports


# --------------------------------------------------------------------------- Keras models

def tf():
    return pytest.importorskip("tensorflow", reason="building test models needs TensorFlow (pip install .[test])")


def layers():
    return tf().keras.layers


def lambda_layer(fn):
    return tf().keras.layers.Lambda(fn)


def keras_model(build, input_shapes):
    """A functional Keras model: build(*inputs) -> output tensor(s). Shapes exclude the batch."""
    keras = tf().keras
    inputs = [keras.Input(shape=s, batch_size=1) for s in input_shapes]
    return keras.Model(inputs, build(*inputs))


def quantize(model, path: Path, input_shapes=None, samples: int = 32, seed: int = 0,
             io_dtype: str = "int8", low: float = -1.0, high: float = 1.0) -> Path:
    """int8 post-training quantization with a random representative set; returns the .tflite path.

    io_dtype "int8" gives int8 model inputs/outputs; "float32" keeps float I/O (QUANTIZE/DEQUANTIZE
    ops at the boundary); "uint8" gives uint8 I/O.
    """
    tensorflow = tf()
    rng = np.random.default_rng(seed)
    shapes = input_shapes or [tuple(i.shape) for i in model.inputs]
    shapes = [(1,) + tuple(s[1:]) for s in shapes]

    def representative():
        for _ in range(samples):
            yield [rng.uniform(low, high, s).astype(np.float32) for s in shapes]

    converter = tensorflow.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tensorflow.lite.Optimize.DEFAULT]
    converter.representative_dataset = representative
    converter.target_spec.supported_ops = [tensorflow.lite.OpsSet.TFLITE_BUILTINS_INT8]
    if io_dtype != "float32":
        converter.inference_input_type = getattr(tensorflow, io_dtype)
        converter.inference_output_type = getattr(tensorflow, io_dtype)
    path.write_bytes(converter.convert())
    return path


def assert_bit_exact(path: Path, samples: int = 10):
    """The reference kernels, layer by layer, against TFLM."""
    from tinygen.compiler import compile_model
    from tinygen.options import REFERENCE
    from tinygen.validate import validate

    report = validate(path, compile_model(path, REFERENCE), samples=samples)
    assert report.max_abs_diff == 0, report
    return report


def op_kinds(path: Path) -> set:
    from tinygen.frontend import load_model

    return {op.kind for op in load_model(path).ops}


def check_ops(model, path: Path, *kinds: str, **quantize_args):
    """Quantize, make sure the ops under test survived conversion, and compare with TFLM."""
    path = quantize(model, path, **quantize_args)
    present = op_kinds(path)
    for kind in kinds:
        assert kind in present, (kind, present)
    return assert_bit_exact(path, samples=8)


# --------------------------------------------------------------------------- one-op models (no TensorFlow)

def schema():
    from tflite_micro.tensorflow.lite.micro.python import schema_py_generated

    return schema_py_generated


@dataclass
class Spec:
    shape: tuple
    dtype: str = "int8"
    scale: float | list | None = None  # a list: per channel, along axis 0
    zp: int = 0
    data: np.ndarray | None = None  # a constant


ACTIVATIONS = {"NONE": 0, "RELU": 1, "RELU_N1_TO_1": 2, "RELU6": 3}
OPTION_TABLES = {"ADD": "AddOptions", "SUB": "SubOptions", "MUL": "MulOptions", "LEAKY_RELU": "LeakyReluOptions",
                 "SUM": "ReducerOptions", "REDUCE_MAX": "ReducerOptions", "TRANSPOSE_CONV": "TransposeConvOptions",
                 "BATCH_MATMUL": "BatchMatMulOptions", "L2_NORMALIZATION": "L2NormOptions"}
FUSED_ACTIVATION_TABLES = ("AddOptions", "SubOptions", "MulOptions")


def write_model(model, path: Path) -> Path:
    """A schema ModelT packed into a .tflite file."""
    import flatbuffers

    builder = flatbuffers.Builder(1024)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    path.write_bytes(builder.Output())
    return path


def single_op_model(path: Path, kind: str, inputs: list, output: Spec, **options) -> Path:
    """A one-op .tflite; non-constant inputs become model inputs. An input may be an int32 array
    (a constant), a Spec with a list of scales (per channel, along axis 0); keyword arguments set
    the op's option table (activation= for ADD/SUB/MUL, others named as in the schema classes,
    e.g. keepDims)."""
    s = schema()
    types = {"int8": s.TensorType.INT8, "uint8": s.TensorType.UINT8, "float32": s.TensorType.FLOAT32,
             "int32": s.TensorType.INT32}
    specs = [Spec(x.shape, "int32", data=x) if isinstance(x, np.ndarray) else x for x in inputs]
    buffers, tensors = [s.BufferT()], []
    for i, spec in enumerate(specs + [output]):
        t = s.TensorT()
        t.shape, t.type, t.name, t.buffer = list(spec.shape), types[spec.dtype], f"t{i}", 0
        if spec.scale is not None:
            scales = spec.scale if isinstance(spec.scale, list) else [spec.scale]
            zero_points = [0] * len(scales) if isinstance(spec.scale, list) else [int(spec.zp)]
            t.quantization = s.QuantizationParametersT()
            t.quantization.scale, t.quantization.zeroPoint = [float(v) for v in scales], zero_points
        if spec.data is not None:
            buffers.append(s.BufferT())
            buffers[-1].data = np.frombuffer(np.asarray(spec.data, "<" + np.dtype(spec.dtype).str[1:]).tobytes(),
                                             np.uint8)
            t.buffer = len(buffers) - 1
        tensors.append(t)
    op = s.OperatorT()
    op.opcodeIndex, op.inputs, op.outputs = 0, list(range(len(specs))), [len(specs)]
    table = OPTION_TABLES.get(kind)
    if table:
        op.builtinOptionsType, op.builtinOptions = getattr(s.BuiltinOptions, table), getattr(s, table + "T")()
        if table in FUSED_ACTIVATION_TABLES:
            op.builtinOptions.fusedActivationFunction = ACTIVATIONS[options.pop("activation", "NONE")]
        for name, value in options.items():
            setattr(op.builtinOptions, name, value)
    graph = s.SubGraphT()
    graph.tensors, graph.operators = tensors, [op]
    graph.inputs = [i for i, spec in enumerate(specs) if spec.data is None]
    graph.outputs = [len(specs)]
    code = s.OperatorCodeT()
    code.builtinCode = getattr(s.BuiltinOperator, kind)
    code.deprecatedBuiltinCode = min(code.builtinCode, 127)
    model = s.ModelT()
    model.version, model.operatorCodes, model.subgraphs, model.buffers = 3, [code], [graph], buffers
    return write_model(model, path)


RANGES = st.sampled_from([(-1.0, 1.0), (0.0, 1.0), (-3.0, 0.5)])  # representative data: zero points mid, -128, high
# (low, high) of the representative data: asymmetric ranges move the zero point.
input_ranges = st.tuples(st.floats(-2.5, 3.0), st.floats(0.05, 1.0), st.floats(0.05, 1.0)).map(
    lambda t: (-t[1] * 10 ** t[0], t[2] * 10 ** t[0]))


@st.composite
def conv_configs(draw):
    kernel = draw(st.sampled_from([1, 2, 3, 5]))
    dilation = draw(st.sampled_from([1, 1, 2])) if kernel > 1 else 1
    stride = 1 if dilation > 1 else draw(st.sampled_from([1, 2, 3]))
    padding = draw(st.sampled_from(["same", "valid"]))
    reach = (kernel - 1) * dilation + 1
    h = draw(st.integers(reach, reach + 9))
    w = draw(st.integers(reach, reach + 9))
    return dict(kernel=kernel, dilation=dilation, stride=stride, padding=padding, h=h, w=w,
                cin=draw(st.integers(1, 6)), cout=draw(st.integers(1, 9)),
                activation=draw(st.sampled_from([None, "relu", "relu6"])), seed=draw(st.integers(0, 99)))


scales = st.floats(-8, 0).map(lambda e: float(np.float32(2.0 ** e)))
wide_scales = st.floats(-8, 1).map(lambda e: float(np.float32(2.0 ** e)))
zero_points = st.integers(-128, 127)


def spec(draw, shape, dtype="int8") -> Spec:
    lo, hi = (0, 255) if dtype == "uint8" else (-128, 127)
    return Spec(tuple(shape), dtype, draw(scales), draw(st.integers(lo, hi)))


def wide_spec(draw, shape) -> Spec:
    return Spec(tuple(shape), "int8", draw(wide_scales), draw(zero_points))


def random_weights(rng, shape) -> np.ndarray:
    return rng.integers(-127, 128, shape).astype(np.int8)


def validate_every_int8(path: Path, tmp_path: Path, shape: tuple):
    """The model on every int8 value of its input, against TFLM (the reference kernels)."""
    from tinygen.compiler import compile_model
    from tinygen.options import REFERENCE
    from tinygen.validate import validate

    np.save(tmp_path / "every.npy", EVERY_INT8.reshape(shape))
    report = validate(path, compile_model(path, REFERENCE), samples=0, input_files=(tmp_path / "every.npy",))
    assert report.max_abs_diff == 0, report


def with_quantization(path: Path, tensor_index: int, scale: float, zero_point: int) -> Path:
    """A copy of the model with one tensor's (per-tensor) scale and zero point rewritten in place:
    quantizations the converter never chooses by itself."""
    from tinygen.frontend import schema as fields
    from tinygen.frontend.flatbuffer import root_table

    data = bytearray(path.read_bytes())
    tensor = root_table(bytes(data)).tables(fields.MODEL_SUBGRAPHS)[0].tables(fields.SUBGRAPH_TENSORS)[tensor_index]
    quant = tensor.table(fields.TENSOR_QUANT)
    struct.pack_into("<f", data, quant._indirect(fields.QUANT_SCALE) + 4, scale)
    struct.pack_into("<q", data, quant._indirect(fields.QUANT_ZERO_POINT) + 4, zero_point)
    out = path.with_name(f"{path.stem}_t{tensor_index}.tflite")
    out.write_bytes(bytes(data))
    return out


def first_op(path: Path, kind: str):
    from tinygen.frontend import load_model

    return next(op for op in load_model(path).ops if op.kind == kind)
