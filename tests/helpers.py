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


# The real models with state in a tflite-micro checkout (TINYGEN_TFLM_MODELS=/path/to/tflite-micro).
TFLM_CHECKOUT = os.environ.get("TINYGEN_TFLM_MODELS")
TFLM_STATEFUL_MODELS = ("tensorflow/lite/micro/examples/mnist_lstm/trained_lstm_int8.tflite",
                        "tensorflow/lite/micro/examples/dtln/dtln_noise_suppression.tflite",
                        "third_party/xtensa/examples/micro_speech_lstm/micro_speech_lstm.tflite",
                        "tensorflow/lite/micro/models/keyword_scrambled.tflite",
                        "tensorflow/lite/micro/models/keyword_scrambled_8bit.tflite")


def tflm_model_or_skip(relative: str) -> Path:
    if not TFLM_CHECKOUT:
        pytest.skip("TINYGEN_TFLM_MODELS is unset (point it at a tensorflow/tflite-micro checkout for its "
                    "LSTM and SVDF models)")
    path = Path(TFLM_CHECKOUT) / relative
    if not path.exists():
        pytest.skip(f"{path} is absent from the tflite-micro checkout at TINYGEN_TFLM_MODELS")
    return path


def shared_or_skip(relative: str) -> Path:
    path = SHARED / relative
    if not path.exists():
        pytest.skip(f"{path} is absent (the real models and data live in ../shared)")
    return path


# TFLite Micro's own int16 (16x8) test models in that checkout, one folder per op.
SEANET = "tensorflow/lite/micro/integration_tests/seanet"
SEANET_OPS = ("add", "conv", "leaky_relu", "pad", "quantize", "strided_slice", "sub", "transpose_conv")


def seanet_models_or_skip(op: str) -> list[Path]:
    """The SEANet integration-test models of one op folder, or a skip saying why there are none."""
    if not TFLM_CHECKOUT:
        pytest.skip("TINYGEN_TFLM_MODELS is unset (a tflite-micro checkout, for its int16 SEANet test models)")
    folder = Path(TFLM_CHECKOUT) / SEANET / op
    models = sorted(folder.glob("*.tflite"))
    if not models:
        pytest.skip(f"no .tflite models in {folder}")
    return models


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


STUBS = REPO / "tests" / "stubs"


def library_sources(program, out_dir: Path) -> list[Path]:
    """The generated library of a program (model.c, model.h, kernels/) in out_dir: its C files."""
    from tinygen import codegen

    return [p for p in codegen.render(program, out_dir) if p.suffix == ".c"]


def side_by_side(programs: dict, samples: dict) -> bytes:
    """What tests/stubs/two_models.c reads: per sample, every input of each program in turn."""
    count = len(next(iter(samples.values())))
    return b"".join(np.ascontiguousarray(x, dtype=t.dtype).tobytes()
                    for s in range(count) for name, program in programs.items()
                    for x, t in zip(samples[name][s], program.graph.inputs))


def assert_side_by_side_exact(raw: bytes, programs: dict, paths: dict, samples: dict) -> None:
    """What tests/stubs/two_models.c wrote (per sample, every output of each program in turn)
    against TFLite Micro's outputs of each model, bit for bit."""
    from tinygen.oracle import run_tflm

    expected = {name: run_tflm(paths[name], samples[name], len(p.graph.outputs)) for name, p in programs.items()}
    sizes = [t.nbytes for p in programs.values() for t in p.graph.outputs]
    count = len(next(iter(samples.values())))
    assert len(raw) == count * sum(sizes), f"{len(raw)} bytes for {count} samples of {sum(sizes)}"
    at = 0
    for s in range(count):
        for name, program in programs.items():
            for o, t in enumerate(program.graph.outputs):
                ours = np.frombuffer(raw[at:at + t.nbytes], dtype=t.dtype)
                at += t.nbytes
                reference = np.asarray(expected[name][s][o]).ravel()
                assert np.array_equal(ours, reference), f"model {name}, sample {s}, output {o} differs from TFLM"


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
    """Post-training quantization with a random representative set; returns the .tflite path.

    io_dtype "int8" gives int8 model inputs/outputs; "float32" keeps float I/O (QUANTIZE/DEQUANTIZE
    ops at the boundary); "uint8" gives uint8 I/O; "int16" converts in TFLite's 16x8 mode (int16
    activations, int8 weights, int64 bias) with int16 I/O.
    """
    shapes = input_shapes or [tuple(i.shape) for i in model.inputs]
    converter = tf().lite.TFLiteConverter.from_keras_model(model)
    return convert_int8(converter, shapes, path, samples, seed, io_dtype, low, high)


def convert_int8(converter, shapes, path: Path, samples: int = 32, seed: int = 0, io_dtype: str = "int8",
                 low: float = -1.0, high: float = 1.0) -> Path:
    """quantize() for any TFLiteConverter (its inputs' shapes given, the batch fixed to 1)."""
    tensorflow = tf()
    rng = np.random.default_rng(seed)
    shapes = [(1,) + tuple(s[1:]) for s in shapes]

    def representative():
        for _ in range(samples):
            yield [rng.uniform(low, high, s).astype(np.float32) for s in shapes]

    converter.optimizations = [tensorflow.lite.Optimize.DEFAULT]
    converter.representative_dataset = representative
    converter.target_spec.supported_ops = [
        tensorflow.lite.OpsSet.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8 if io_dtype == "int16"
        else tensorflow.lite.OpsSet.TFLITE_BUILTINS_INT8]
    if io_dtype != "float32":
        converter.inference_input_type = getattr(tensorflow, io_dtype)
        converter.inference_output_type = getattr(tensorflow, io_dtype)
    path.write_bytes(converter.convert())
    return path


def fused_lstm_model(path: Path, time_steps: int, features: int, units: int, return_sequences: bool,
                     dense: int | None = None, seed: int = 0) -> Path:
    """An int8 UNIDIRECTIONAL_SEQUENCE_LSTM through TFLiteConverter. Keras 3's LSTM layer converts
    to a WHILE loop (and int8 calibration of that crashes the converter), so the LSTM is a
    tf.function marked the way the converter's Keras-LSTM fusion recognises (api_implements
    "lstm_...", Keras's argument order and five results), exported as a SavedModel. Weights are
    random, the states start at zero; `dense` adds a fully connected layer after it."""
    tensorflow = tf()
    rng = np.random.default_rng(seed)

    def constant(*shape, scale=0.5):
        return tensorflow.constant(rng.uniform(-scale, scale, shape).astype(np.float32))

    kernel, recurrent, bias = constant(features, 4 * units), constant(units, 4 * units), constant(4 * units, scale=0.1)
    head = constant(units, dense) if dense else None

    @tensorflow.function(experimental_attributes={"api_implements": "lstm_tinygen_test", "time_major": False,
                                                  "go_backwards": False})
    def lstm(inputs, init_h, init_c, kernel, recurrent_kernel, bias):
        h, c, outputs = init_h, init_c, []
        for t in range(time_steps):
            z = tensorflow.matmul(inputs[:, t], kernel) + tensorflow.matmul(h, recurrent_kernel) + bias
            i, f, g, o = tensorflow.split(z, 4, axis=1)  # Keras's gate order
            c = tensorflow.sigmoid(f) * c + tensorflow.sigmoid(i) * tensorflow.tanh(g)
            h = tensorflow.sigmoid(o) * tensorflow.tanh(c)
            outputs.append(h)
        return h, tensorflow.stack(outputs, axis=1), h, c, tensorflow.constant(0.0)

    @tensorflow.function(input_signature=[tensorflow.TensorSpec([1, time_steps, features], tensorflow.float32)])
    def model(x):
        zeros = tensorflow.zeros([1, units])
        last, sequence, _, _, _ = lstm(x, zeros, zeros, kernel, recurrent, bias)
        y = sequence if return_sequences else last
        return tensorflow.matmul(y, head) if dense else y

    module = tensorflow.Module()
    module.model = model
    saved = path.with_suffix(".savedmodel")
    tensorflow.saved_model.save(module, str(saved), signatures=model.get_concrete_function())
    converter = tensorflow.lite.TFLiteConverter.from_saved_model(str(saved))
    return convert_int8(converter, [(1, time_steps, features)], path, seed=seed)


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
    scale: float | list | None = None  # a list: per channel, along `axis`
    zp: int = 0
    data: np.ndarray | None = None  # a constant
    variable: bool = False  # a variable tensor (an op's state), neither a constant nor a model input
    axis: int = 0  # the quantized dimension of per-channel scales


ACTIVATIONS = {"NONE": 0, "RELU": 1, "RELU_N1_TO_1": 2, "RELU6": 3, "TANH": 4}
CLAMPS = ("NONE", "RELU", "RELU_N1_TO_1", "RELU6")  # the fused activations a quantized output takes (TANH: the LSTM's)
OPTION_TABLES = {"ADD": "AddOptions", "SUB": "SubOptions", "MUL": "MulOptions", "LEAKY_RELU": "LeakyReluOptions",
                 "SUM": "ReducerOptions", "MEAN": "ReducerOptions", "REDUCE_MAX": "ReducerOptions",
                 "TRANSPOSE_CONV": "TransposeConvOptions", "BATCH_MATMUL": "BatchMatMulOptions",
                 "L2_NORMALIZATION": "L2NormOptions", "CONV_2D": "Conv2DOptions",
                 "DEPTHWISE_CONV_2D": "DepthwiseConv2DOptions", "FULLY_CONNECTED": "FullyConnectedOptions",
                 "AVERAGE_POOL_2D": "Pool2DOptions", "MAX_POOL_2D": "Pool2DOptions",
                 "CONCATENATION": "ConcatenationOptions", "SOFTMAX": "SoftmaxOptions", "SVDF": "SVDFOptions",
                 "UNIDIRECTIONAL_SEQUENCE_LSTM": "UnidirectionalSequenceLSTMOptions"}
FUSED_ACTIVATION_TABLES = ("AddOptions", "SubOptions", "MulOptions", "SVDFOptions",
                           "UnidirectionalSequenceLSTMOptions")


def write_model(model, path: Path) -> Path:
    """A schema ModelT packed into a .tflite file."""
    import flatbuffers

    builder = flatbuffers.Builder(1024)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    path.write_bytes(builder.Output())
    return path


def single_op_model(path: Path, kind: str, inputs: list, output: Spec, **options) -> Path:
    """A one-op .tflite; non-constant inputs become model inputs. An input may be an int32 array
    (a constant), a Spec with a list of scales (per channel, along its axis), or None (an optional
    input left out); keyword arguments set the op's option table (activation= for ops with a
    fused activation, others named as in the schema classes, e.g. keepDims)."""
    s = schema()
    types = {"int8": s.TensorType.INT8, "uint8": s.TensorType.UINT8, "float32": s.TensorType.FLOAT32,
             "int32": s.TensorType.INT32, "int16": s.TensorType.INT16, "int64": s.TensorType.INT64}
    given = [Spec(x.shape, "int32", data=x) if isinstance(x, np.ndarray) else x for x in inputs]
    specs = [x for x in given if x is not None]
    positions = iter(range(len(specs)))
    op_inputs = [-1 if x is None else next(positions) for x in given]
    buffers, tensors = [s.BufferT()], []
    for i, spec in enumerate(specs + [output]):
        t = s.TensorT()
        t.shape, t.type, t.name, t.buffer = list(spec.shape), types[spec.dtype], f"t{i}", 0
        t.isVariable = spec.variable
        if spec.scale is not None:
            scales = spec.scale if isinstance(spec.scale, list) else [spec.scale]
            zero_points = [0] * len(scales) if isinstance(spec.scale, list) else [int(spec.zp)]
            t.quantization = s.QuantizationParametersT()
            t.quantization.scale, t.quantization.zeroPoint = [float(v) for v in scales], zero_points
            t.quantization.quantizedDimension = spec.axis
        if spec.data is not None:
            buffers.append(s.BufferT())
            buffers[-1].data = np.frombuffer(np.asarray(spec.data, "<" + np.dtype(spec.dtype).str[1:]).tobytes(),
                                             np.uint8)
            t.buffer = len(buffers) - 1
        tensors.append(t)
    op = s.OperatorT()
    op.opcodeIndex, op.inputs, op.outputs = 0, op_inputs, [len(specs)]
    table = OPTION_TABLES.get(kind)
    if table:
        op.builtinOptionsType, op.builtinOptions = getattr(s.BuiltinOptions, table), getattr(s, table + "T")()
        if table in FUSED_ACTIVATION_TABLES:
            op.builtinOptions.fusedActivationFunction = ACTIVATIONS[options.pop("activation", "NONE")]
        for name, value in options.items():
            setattr(op.builtinOptions, name, value)
    graph = s.SubGraphT()
    graph.tensors, graph.operators = tensors, [op]
    graph.inputs = [i for i, spec in enumerate(specs) if spec.data is None and not spec.variable]
    graph.outputs = [len(specs)]
    code = s.OperatorCodeT()
    code.builtinCode = getattr(s.BuiltinOperator, kind)
    code.deprecatedBuiltinCode = min(code.builtinCode, 127)
    model = s.ModelT()
    model.version, model.operatorCodes, model.subgraphs, model.buffers = 3, [code], [graph], buffers
    return write_model(model, path)


# The state's bits a feature projection uses: most of an int16 state, most of an int8 one.
STATE_BITS = {"int16": 13, "int8": 6}


def svdf_model(path, batches=1, input_size=6, units=3, rank=1, memory=4, state_dtype="int16", seed=0,
               input_zp=3, state_zp=0, output_zp=-5, variable=True):
    """An SVDF whose scales put typical values inside the state's and the output's range."""
    rng = np.random.default_rng(seed)
    filters = units * rank
    time_max = 32767 if state_dtype == "int16" else 127
    s_in, s_feature, s_time = 0.05, 0.01, 1.0 / time_max
    # a feature dot product of ~ input_size * 64 * 64 in input x weight units fills STATE_BITS bits
    s_state = s_in * s_feature * input_size * 64 * 64 / 2 ** STATE_BITS[state_dtype]
    # memory x rank products of time weights (up to time_max) and state values (~ 2^STATE_BITS)
    # add up like a random walk: an output of ~ +-100 LSB
    s_out = s_state * s_time * time_max * 2 ** STATE_BITS[state_dtype] * np.sqrt(memory * rank) / 300
    bias_scale = s_state * s_time
    inputs = [
        Spec((batches, input_size), "int8", s_in, input_zp),
        Spec((filters, input_size), "int8", s_feature, 0, rng.integers(-127, 128, (filters, input_size))),
        Spec((filters, memory), state_dtype, s_time, 0, rng.integers(-time_max, time_max + 1, (filters, memory))),
        Spec((units,), "int32", bias_scale, 0, rng.integers(-2 ** 14, 2 ** 14, units)),
        Spec((batches, filters * memory), state_dtype, s_state, state_zp, variable=variable),
    ]
    return single_op_model(path, "SVDF", inputs, Spec((batches, units), "int8", s_out, output_zp), rank=rank)


def lstm_model(path: Path, batches=1, steps=3, input_size=4, units=5, time_major=False, cell_clip=0.0, seed=0,
               cell_scale=2.0 ** -11, input_zp=-3, hidden_zp=4, variable=True, peephole=False,
               activation="TANH", input_dtype="int8", bias_dtype=None) -> Path:
    """A one-op LSTM whose weight scales put the gates' pre-activations around +-2: int8 input and
    hidden state with int32 biases, or (input_dtype "int16") the 16x8 LSTM, int16 input and hidden
    state (zero points 0) with int64 biases."""
    rng = np.random.default_rng(seed)
    wide = input_dtype == "int16"
    typical = 73 * (256 if wide else 1)  # the typical magnitude of a uniformly random activation
    s_x, s_h = (0.04 / 256, 2.0 ** -15) if wide else (0.04, 1.0 / 128)
    input_zp, hidden_zp = (0, 0) if wide else (input_zp, hidden_zp)
    s_w = 2.0 / (s_x * np.sqrt(input_size) * typical * 73)
    s_rw = 2.0 / (s_h * np.sqrt(units) * typical * 73)

    def weights(shape, scale):
        return Spec(shape, "int8", float(np.float32(scale)), 0, rng.integers(-127, 128, shape))

    def bias():
        values = rng.integers(-3000, 3000, units) * (typical // 73)
        return Spec((units,), bias_dtype or ("int64" if wide else "int32"), float(np.float32(s_x * s_w)), 0, values)

    leading = (steps, batches) if time_major else (batches, steps)
    inputs = ([Spec((*leading, input_size), input_dtype, s_x, input_zp)]
              + [weights((units, input_size), s_w) for _ in range(4)]
              + [weights((units, units), s_rw) for _ in range(4)]
              + [Spec((units,), "int16", 0.01, 0, rng.integers(-99, 99, units)) if peephole else None
                 for _ in range(3)]
              + [bias() for _ in range(4)] + [None, None]
              + [Spec((batches, units), input_dtype, s_h, hidden_zp, variable=variable),
                 Spec((batches, units), "int16", cell_scale, 0, variable=variable)]
              + [None] * 4)
    return single_op_model(path, "UNIDIRECTIONAL_SEQUENCE_LSTM", inputs,
                           Spec((*leading, units), input_dtype, s_h, hidden_zp), activation=activation,
                           cellClip=cell_clip, timeMajor=time_major)


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


def int16_spec(draw, shape) -> Spec:
    """An int16 activation as TFLite's 16x8 mode makes them: symmetric (zero point 0)."""
    return Spec(tuple(shape), "int16", draw(scales) / 256, 0)


def kernel_functions(path: Path) -> set:
    """The C functions the reference program of a model calls."""
    from tinygen.compiler import compile_model
    from tinygen.options import REFERENCE

    return {call.function for _, call in compile_model(path, REFERENCE).calls}


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
