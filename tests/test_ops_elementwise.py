"""ADD/SUB/MUL, QUANTIZE/DEQUANTIZE, RELU/RELU6, LEAKY_RELU and HARD_SWISH, bit-exact against TFLM.

Keras models show what the converter emits; single-op models written straight from the TFLite
schema reach the corners it would not produce (scales far apart, uint8 requantization, rank-6
broadcasts, negative alpha).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from keras_util import assert_bit_exact, keras_model, quantize, tf
from tinygen.compiler import compile_model
from tinygen.errors import TinygenError
from tinygen.frontend import load_model
from tinygen.validate import validate

FEW = settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
ACTIVATIONS = {"NONE": 0, "RELU": 1, "RELU_N1_TO_1": 2, "RELU6": 3}
OPTION_TABLES = {"ADD": "AddOptions", "SUB": "SubOptions", "MUL": "MulOptions", "LEAKY_RELU": "LeakyReluOptions"}


@dataclass
class Spec:
    shape: tuple
    dtype: str = "int8"
    scale: float | None = None
    zp: int = 0
    data: np.ndarray | None = None  # a constant


def write_model(model, path: Path) -> Path:
    """A schema ModelT (TensorFlow's generated classes) packed into a .tflite file."""
    import flatbuffers

    builder = flatbuffers.Builder(1024)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    path.write_bytes(builder.Output())
    return path


def single_op_model(path: Path, kind: str, inputs: list[Spec], output: Spec, **options) -> Path:
    """A one-op .tflite; non-constant inputs become model inputs."""
    tf()
    from tensorflow.lite.python import schema_py_generated as s

    types = {"int8": s.TensorType.INT8, "uint8": s.TensorType.UINT8, "float32": s.TensorType.FLOAT32}
    buffers, tensors = [s.BufferT()], []
    for i, spec in enumerate(inputs + [output]):
        t = s.TensorT()
        t.shape, t.type, t.name, t.buffer = list(spec.shape), types[spec.dtype], f"t{i}", 0
        if spec.scale is not None:
            t.quantization = s.QuantizationParametersT()
            t.quantization.scale, t.quantization.zeroPoint = [float(spec.scale)], [int(spec.zp)]
        if spec.data is not None:
            buffers.append(s.BufferT())
            buffers[-1].data = np.frombuffer(np.asarray(spec.data, spec.dtype).tobytes(), np.uint8)
            t.buffer = len(buffers) - 1
        tensors.append(t)
    op = s.OperatorT()
    op.opcodeIndex, op.inputs, op.outputs = 0, list(range(len(inputs))), [len(inputs)]
    table = OPTION_TABLES.get(kind)
    if table:
        op.builtinOptionsType, op.builtinOptions = getattr(s.BuiltinOptions, table), getattr(s, table + "T")()
        if kind == "LEAKY_RELU":
            op.builtinOptions.alpha = options["alpha"]
        else:
            op.builtinOptions.fusedActivationFunction = ACTIVATIONS[options.get("activation", "NONE")]
    graph = s.SubGraphT()
    graph.tensors, graph.operators = tensors, [op]
    graph.inputs = [i for i, spec in enumerate(inputs) if spec.data is None]
    graph.outputs = [len(inputs)]
    code = s.OperatorCodeT()
    code.builtinCode = getattr(s.BuiltinOperator, kind)
    code.deprecatedBuiltinCode = min(code.builtinCode, 127)
    model = s.ModelT()
    model.version, model.operatorCodes, model.subgraphs, model.buffers = 3, [code], [graph], buffers
    return write_model(model, path)


scales = st.floats(-8, 0).map(lambda e: float(np.float32(2.0 ** e)))
zero_points = st.integers(-128, 127)


def _spec(draw, shape, dtype="int8") -> Spec:
    lo, hi = (0, 255) if dtype == "uint8" else (-128, 127)
    return Spec(tuple(shape), dtype, draw(scales), draw(st.integers(lo, hi)))


# --- ADD / SUB / MUL -----------------------------------------------------------------------------

def test_broadcast_walk_merges_contiguous_dims():
    from tinygen.ops.broadcast import broadcast_walk

    assert broadcast_walk((1, 4, 4, 8), (1, 4, 4, 8), (1, 1, 1, 8)) == ([16, 8], [8, 1], [0, 1])
    assert broadcast_walk((2, 3, 4), (2, 1, 4), (1, 3, 1)) == ([2, 3, 4], [4, 0, 1], [0, 1, 0])
    assert broadcast_walk((3, 5), (3, 5), ()) == ([15], [1], [0])
    assert broadcast_walk((1, 1), (1, 1), (1,)) == ([1], [0], [0])


def test_keras_binary_ops(tmp_path):
    keras = tf().keras

    def build(x, y, z):
        added = keras.layers.ReLU()(keras.layers.Add()([x, x * 0.5 + 0.25]))  # RELU fuses into ADD
        return [keras.layers.Multiply()([x, y]), added, keras.layers.Subtract()([x, z])]

    path = quantize(keras_model(build, [(4, 4, 8), (1, 1, 8), (1, 4, 1)]), tmp_path / "binary.tflite")
    kinds = [op.kind for op in load_model(path).ops]
    assert {"ADD", "SUB", "MUL"} <= set(kinds)
    assert_bit_exact(path)


@st.composite
def binary_cases(draw):
    """Each operand keeps or drops (to 1) every dim of a common shape, and may lose leading dims."""
    full = draw(st.lists(st.integers(1, 4), min_size=1, max_size=6))

    def operand_shape():
        shape = [n if draw(st.booleans()) else 1 for n in full]
        return tuple(shape[draw(st.integers(0, len(full))):])  # may be a scalar

    a, b = operand_shape(), operand_shape()
    out = np.broadcast_shapes(a, b)
    a_spec, b_spec, o_spec = _spec(draw, a), _spec(draw, b), _spec(draw, out)
    if draw(st.booleans()):
        b_spec.data = np.random.default_rng(draw(st.integers(0, 99))).integers(-128, 128, b).astype(np.int8)
    kind, activation = draw(st.sampled_from(["ADD", "SUB", "MUL"])), draw(st.sampled_from(list(ACTIVATIONS)))
    return kind, activation, a_spec, b_spec, o_spec


@FEW
@given(binary_cases())
def test_binary_random(tmp_path, case):
    kind, activation, a, b, out = case
    assert_bit_exact(single_op_model(tmp_path / "b.tflite", kind, [a, b], out, activation=activation), samples=4)


@pytest.mark.parametrize("kind", ["ADD", "SUB", "MUL"])
def test_binary_far_apart_scales(tmp_path, kind):
    """One operand 2^12 times finer than the other; rank-5 broadcast both ways."""
    a = Spec((2, 1, 3, 1, 4), scale=2.0 ** -13, zp=-100)
    b = Spec((1, 5, 1, 2, 4), scale=0.7, zp=90)
    out = Spec((2, 5, 3, 2, 4), scale=0.05 if kind != "MUL" else 2.0 ** -6, zp=7)
    assert_bit_exact(single_op_model(tmp_path / "far.tflite", kind, [a, b], out, activation="RELU6"), samples=4)


# Scales where forming TFLM's Prepare ratios from float32 quotients instead of double ones changes at
# least one of the 65536 input pairs (the tflite-micro package uses double for all three).
PRECISION_CASES = [("SUB", 0.7887726426124573, 0.008912908844649792, 0.859178900718689, (123, -34, 99)),
                   ("ADD", 0.017086990177631378, 0.07756100594997406, 0.045500386506319046, (108, -90, 110)),
                   ("MUL", 0.47244763374328613, 0.005432053003460169, 0.032266125082969666, (-96, -18, -18))]


@pytest.mark.parametrize("kind, s1, s2, so, zps", PRECISION_CASES)
def test_binary_prepare_precision(tmp_path, kind, s1, s2, so, zps):
    a = Spec((256, 1), "int8", s1, zps[0])
    b = Spec((1, 256), "int8", s2, zps[1], data=EVERY_INT8.reshape(1, 256))
    path = single_op_model(tmp_path / "p.tflite", kind, [a, b], Spec((256, 256), "int8", so, zps[2]))
    validate_every_int8(path, tmp_path, (256, 1))


EVERY_INT8 = np.arange(-128, 128, dtype=np.int8)


def validate_every_int8(path: Path, tmp_path: Path, shape: tuple):
    np.save(tmp_path / "every.npy", EVERY_INT8.reshape(shape))
    report = validate(path, samples=0, input_files=(tmp_path / "every.npy",))
    assert report.max_abs_diff == 0, report


def test_binary_rejects_non_int8(tmp_path):
    path = single_op_model(tmp_path / "f.tflite", "ADD", [Spec((4,), "uint8", 0.1, 128), Spec((4,), "uint8", 0.1, 128)],
                           Spec((4,), "uint8", 0.1, 128))
    with pytest.raises(TinygenError, match="int8 only"):
        compile_model(path)


# --- QUANTIZE / DEQUANTIZE -----------------------------------------------------------------------

@pytest.mark.parametrize("io_dtype", ["float32", "uint8"])
def test_keras_boundary_conversions(tmp_path, io_dtype):
    keras = tf().keras
    model = keras_model(lambda x: keras.layers.LeakyReLU(negative_slope=0.1)(x * 2.0 - 0.3), [(6, 6, 3)])
    path = quantize(model, tmp_path / "io.tflite", io_dtype=io_dtype)
    kinds = [op.kind for op in load_model(path).ops]
    assert kinds[0] == "QUANTIZE" and kinds[-1] == ("DEQUANTIZE" if io_dtype == "float32" else "QUANTIZE")
    assert_bit_exact(path)


@FEW
@given(st.sampled_from([("int8", "int8"), ("int8", "uint8"), ("uint8", "int8")]), st.data())
def test_requantize_random(tmp_path, types, data):
    x, out = _spec(data.draw, (3, 7), types[0]), _spec(data.draw, (3, 7), types[1])
    assert_bit_exact(single_op_model(tmp_path / "rq.tflite", "QUANTIZE", [x], out), samples=4)


@pytest.mark.parametrize("types, zps", [(("int8", "uint8"), (-128, 0)), (("uint8", "int8"), (128, 0)),
                                        (("int8", "uint8"), (0, 128)), (("int8", "int8"), (5, -5))])
def test_requantize_same_scale(tmp_path, types, zps):
    """Equal scales: TFLM's bit-flip shortcut for int8 <-> uint8 must agree with the general path."""
    x, out = Spec((64,), types[0], 0.02, zps[0]), Spec((64,), types[1], 0.02, zps[1])
    assert_bit_exact(single_op_model(tmp_path / "same.tflite", "QUANTIZE", [x], out), samples=4)


@FEW
@given(scales, zero_points, st.integers(0, 2 ** 16))
def test_quantize_float_random(tmp_path, scale, zp, seed):
    path = single_op_model(tmp_path / "q.tflite", "QUANTIZE", [Spec((100,), "float32")],
                           Spec((100,), "int8", scale, zp))
    # Values on and next to rounding ties, and far outside the int8 range (they saturate).
    rng = np.random.default_rng(seed)
    k = rng.integers(-300, 300, 100)
    ties = np.float32(scale) * (k + 0.5).astype(np.float32)
    ties[::3] = np.nextafter(ties[::3], np.float32(np.inf))
    np.save(tmp_path / "ties.npy", ties.astype(np.float32))
    report = validate(path, samples=3, input_files=(tmp_path / "ties.npy",))
    assert report.max_abs_diff == 0, report


def test_quantize_float_to_uint8_is_rejected(tmp_path):
    path = single_op_model(tmp_path / "qu.tflite", "QUANTIZE", [Spec((4,), "float32")], Spec((4,), "uint8", 0.1, 128))
    with pytest.raises(TinygenError, match="float32 -> uint8"):
        compile_model(path)


@FEW
@given(st.sampled_from(["int8", "uint8"]), st.data())
def test_dequantize_random(tmp_path, dtype, data):
    path = single_op_model(tmp_path / "dq.tflite", "DEQUANTIZE", [_spec(data.draw, (2, 50), dtype)],
                           Spec((2, 50), "float32"))
    assert_bit_exact(path, samples=4)


# --- RELU family, LEAKY_RELU, HARD_SWISH ---------------------------------------------------------

def test_keras_activations(tmp_path):
    """Standalone activations on the model input (nothing to fuse them into)."""
    keras = tf().keras

    def build(x):
        return [keras.layers.ReLU()(x), keras.layers.ReLU(max_value=6)(x),
                keras.layers.LeakyReLU(negative_slope=0.2)(x), keras.layers.Activation("hard_swish")(x)]

    path = quantize(keras_model(build, [(4, 4, 8)]), tmp_path / "act.tflite", low=-8, high=8)
    assert {"RELU", "RELU6", "LEAKY_RELU", "HARD_SWISH"} <= {op.kind for op in load_model(path).ops}
    assert_bit_exact(path)


@FEW
@given(st.sampled_from(["RELU", "RELU6"]), st.data())
def test_relu_requantizing_random(tmp_path, kind, data):
    """Different input and output quantization: RELU rescales, TFLM's RELU6 ignores the output's."""
    x, out = _spec(data.draw, (5, 9)), _spec(data.draw, (5, 9))
    assert_bit_exact(single_op_model(tmp_path / "r.tflite", kind, [x], out), samples=4)


@pytest.mark.parametrize("kind, si, so, zps, options", [
    ("RELU", 0.009660130366683006, 0.051338642835617065, (-126, -39), {}),
    ("LEAKY_RELU", 0.21568220853805542, 0.11917071789503098, (-88, -8), {"alpha": 1.7133688926696777})])
def test_activation_prepare_precision(tmp_path, kind, si, so, zps, options):
    """As test_binary_prepare_precision: ratios in double, not float32, change some output here."""
    path = single_op_model(tmp_path / "ap.tflite", kind, [Spec((256,), "int8", si, zps[0])],
                           Spec((256,), "int8", so, zps[1]), **options)
    validate_every_int8(path, tmp_path, (256,))


def test_standalone_relu_n1_to_1_is_rejected(tmp_path):
    path = single_op_model(tmp_path / "r1.tflite", "RELU_N1_TO_1", [Spec((4,), "int8", 0.1, 0)],
                           Spec((4,), "int8", 0.01, 0))
    with pytest.raises(TinygenError, match="RELU_N1_TO_1"):
        compile_model(path)


@FEW
@given(st.floats(-3, 3, width=32), st.data())
def test_leaky_relu_random(tmp_path, alpha, data):
    """Any alpha, including negative and above one."""
    x, out = _spec(data.draw, (4, 16)), _spec(data.draw, (4, 16))
    assert_bit_exact(single_op_model(tmp_path / "lr.tflite", "LEAKY_RELU", [x], out, alpha=alpha), samples=4)


@FEW
@given(st.floats(-12, 4), st.floats(-6, 6), zero_points, zero_points)
def test_hard_swish_random(tmp_path, input_exp, output_exp_delta, input_zp, output_zp):
    """Input scales on both sides of 3/256, where the reluish multiplier's exponent changes sign."""
    input_scale = 2.0 ** input_exp
    x = Spec((256,), "int8", input_scale, input_zp)
    out = Spec((256,), "int8", input_scale * 2.0 ** output_exp_delta, output_zp)
    assert_bit_exact(single_op_model(tmp_path / "hs.tflite", "HARD_SWISH", [x], out), samples=3)


@pytest.mark.parametrize("input_scale, output_scale", [(0.02, 0.02 / 127), (0.02, 0.02 * 2000), (1e-4, 0.5)])
def test_hard_swish_extreme_scales(tmp_path, input_scale, output_scale):
    """Nearly the finest output scale TFLM allows, and output shifts of 16 bits and more."""
    x, out = Spec((256,), "int8", input_scale, -3), Spec((256,), "int8", output_scale, 11)
    assert_bit_exact(single_op_model(tmp_path / "hx.tflite", "HARD_SWISH", [x], out), samples=3)


def test_hard_swish_rejects_what_tflm_rejects(tmp_path):
    x, out = Spec((8,), "int8", 0.02, 0), Spec((8,), "int8", 0.02 / 128, 0)
    with pytest.raises(TinygenError, match="HARD_SWISH"):
        compile_model(single_op_model(tmp_path / "hr.tflite", "HARD_SWISH", [x], out))
