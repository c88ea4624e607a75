"""MAXIMUM/MINIMUM, PRELU, SQUARED_DIFFERENCE, REDUCE_MAX/SUM, TRANSPOSE_CONV, BATCH_MATMUL,
L2_NORMALIZATION and the table ops (ELU, ABS, RSQRT), bit-exact against TFLM.

Keras models show what the converter emits; single-op models reach what it never produces
(int8 ELU, constant operands, per-tensor weights, scales where Prepare's precision matters).
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from keras_util import assert_bit_exact, keras_model, quantize, tf
from test_ops_elementwise import Spec, single_op_model, validate_every_int8, write_model
from tinygen.compiler import compile_model
from tinygen.errors import TinygenError
from tinygen.frontend import load_model
from tinygen.validate import validate

FEW = settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
OPTION_TABLES = {"SUM": "ReducerOptions", "REDUCE_MAX": "ReducerOptions", "TRANSPOSE_CONV": "TransposeConvOptions",
                 "BATCH_MATMUL": "BatchMatMulOptions", "L2_NORMALIZATION": "L2NormOptions"}


def op_model(path: Path, kind: str, inputs: list, output: Spec, **options) -> Path:
    """single_op_model plus what it cannot write: int32 constants (given as int32 arrays),
    per-channel scales (a Spec whose scale is a list, along axis 0) and these ops' option tables
    (keyword arguments named as in the generated schema classes, e.g. keepDims)."""
    from tensorflow.lite.python import schema_py_generated as s

    placeholders = [Spec(x.shape, data=np.zeros(x.shape, np.int8)) if isinstance(x, np.ndarray)
                    else replace(x, scale=x.scale[0]) if isinstance(x.scale, list) else x for x in inputs]
    single_op_model(path, kind, placeholders, output)
    model = s.ModelT.InitFromObj(s.Model.GetRootAs(path.read_bytes(), 0))
    graph = model.subgraphs[0]
    for tensor, x in zip(graph.tensors, inputs):
        if isinstance(x, np.ndarray):
            tensor.type, tensor.quantization = s.TensorType.INT32, None
            model.buffers[tensor.buffer].data = np.frombuffer(x.astype("<i4").tobytes(), np.uint8)
        elif isinstance(x.scale, list):
            tensor.quantization.scale, tensor.quantization.zeroPoint = x.scale, [0] * len(x.scale)
    if kind in OPTION_TABLES:
        table = OPTION_TABLES[kind]
        op = graph.operators[0]
        op.builtinOptionsType, op.builtinOptions = getattr(s.BuiltinOptions, table), getattr(s, table + "T")()
        for name, value in options.items():
            setattr(op.builtinOptions, name, value)
    return write_model(model, path)


scales = st.floats(-8, 1).map(lambda e: float(np.float32(2.0 ** e)))
zero_points = st.integers(-128, 127)


def _spec(draw, shape) -> Spec:
    return Spec(tuple(shape), "int8", draw(scales), draw(zero_points))


def _weights(rng, shape) -> np.ndarray:
    return rng.integers(-127, 128, shape).astype(np.int8)


# --- Keras -----------------------------------------------------------------------------------------

def _kinds(path: Path) -> set:
    return {op.kind for op in load_model(path).ops}


def test_keras_broadcast_and_unary_ops(tmp_path):
    keras, tensorflow = tf().keras, tf()

    def build(x, y):
        squared = keras.layers.Lambda(lambda t: tensorflow.math.squared_difference(t[0], t[1]))([x, y])
        return [keras.layers.Maximum()([x, y]), keras.layers.Minimum()([x, y]),
                keras.layers.PReLU(shared_axes=[1, 2])(x), keras.ops.abs(x), squared]

    path = quantize(keras_model(build, [(4, 4, 8), (1, 1, 8)]), tmp_path / "ew.tflite")
    assert {"MAXIMUM", "MINIMUM", "PRELU", "ABS", "SQUARED_DIFFERENCE"} <= _kinds(path)
    assert_bit_exact(path)


def test_keras_reductions_l2_rsqrt(tmp_path):
    keras, tensorflow = tf().keras, tf()

    def build(x):
        l2 = keras.layers.Lambda(lambda t: tensorflow.math.l2_normalize(t, axis=-1))(x)
        return [keras.ops.max(x, axis=[1, 2], keepdims=True), keras.ops.sum(x, axis=-1), l2,
                keras.ops.rsqrt(keras.ops.abs(x) + 0.1)]

    path = quantize(keras_model(build, [(4, 5, 6)]), tmp_path / "red.tflite")
    assert {"REDUCE_MAX", "SUM", "L2_NORMALIZATION", "RSQRT"} <= _kinds(path)
    assert_bit_exact(path)


def test_keras_transpose_conv(tmp_path):
    keras = tf().keras

    def build(x):
        return [keras.layers.Conv2DTranspose(5, 3, strides=2, padding="same", activation="relu")(x),
                keras.layers.Conv2DTranspose(4, (3, 2), strides=(2, 1), padding="valid", use_bias=False)(x)]

    path = quantize(keras_model(build, [(5, 6, 3)]), tmp_path / "tconv.tflite")
    assert "TRANSPOSE_CONV" in _kinds(path)
    assert_bit_exact(path)


def test_keras_batch_matmul(tmp_path):
    keras, tensorflow = tf().keras, tf()

    def build(x, y):
        return [keras.layers.Lambda(lambda t: tensorflow.matmul(t[0], t[1], transpose_b=True))([x, y]),
                keras.layers.Lambda(lambda t: tensorflow.matmul(t, t, transpose_a=True))(x)]

    path = quantize(keras_model(build, [(2, 3, 4), (1, 5, 4)]), tmp_path / "bmm.tflite")
    assert _kinds(path) == {"BATCH_MATMUL"}
    assert_bit_exact(path)


# --- MAXIMUM, MINIMUM, PRELU, SQUARED_DIFFERENCE ---------------------------------------------------

@st.composite
def broadcast_cases(draw):
    """Each operand keeps or drops (to 1) every dim of a common shape of rank up to 6, and may lose
    leading dims; the second is sometimes a constant."""
    full = draw(st.lists(st.integers(1, 3), min_size=1, max_size=6))

    def operand_shape():
        shape = [n if draw(st.booleans()) else 1 for n in full]
        return tuple(shape[draw(st.integers(0, len(full))):])

    a, b = operand_shape(), operand_shape()
    a_spec, b_spec, out = _spec(draw, a), _spec(draw, b), _spec(draw, np.broadcast_shapes(a, b))
    if draw(st.booleans()):
        b_spec.data = np.random.default_rng(draw(st.integers(0, 99))).integers(-128, 128, b).astype(np.int8)
    return draw(st.sampled_from(["MAXIMUM", "MINIMUM", "PRELU", "SQUARED_DIFFERENCE"])), a_spec, b_spec, out


@FEW
@given(broadcast_cases())
def test_broadcast_ops_random(tmp_path, case):
    kind, a, b, out = case
    assert_bit_exact(single_op_model(tmp_path / "b.tflite", kind, [a, b], out), samples=4)


@pytest.mark.parametrize("kind", ["PRELU", "SQUARED_DIFFERENCE"])
def test_broadcast_ops_far_apart_scales(tmp_path, kind):
    """Every int8 pair, one operand 2^12 times finer than the other."""
    a = Spec((256, 1), "int8", 0.7, -100)
    b = Spec((1, 256), "int8", 2.0 ** -13 * 0.7, 90, data=np.arange(-128, 128, dtype=np.int8).reshape(1, 256))
    path = single_op_model(tmp_path / "far.tflite", kind, [a, b], Spec((256, 256), "int8", 0.05, 7))
    validate_every_int8(path, tmp_path, (256, 1))


# --- REDUCE_MAX, SUM -------------------------------------------------------------------------------

@st.composite
def reduce_cases(draw):
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=1, max_size=5)))
    rank = len(shape)
    axes = draw(st.lists(st.integers(-rank, rank - 1), min_size=1, max_size=4))  # negatives and duplicates too
    keep = draw(st.booleans())
    reduced = {a % rank for a in axes}
    out_shape = tuple(1 if i in reduced else d for i, d in enumerate(shape) if keep or i not in reduced)
    kind = draw(st.sampled_from(["SUM", "REDUCE_MAX"]))
    x = _spec(draw, shape)
    out = replace(x, shape=out_shape) if kind == "REDUCE_MAX" else _spec(draw, out_shape)
    return kind, x, np.array(axes, np.int32), out, keep


@FEW
@given(reduce_cases())
def test_reductions_random(tmp_path, case):
    kind, x, axes, out, keep = case
    assert_bit_exact(op_model(tmp_path / "r.tflite", kind, [x, axes], out, keepDims=keep), samples=4)


def test_sum_of_many_requantizes_down(tmp_path):
    """4096 summed values into a much coarser output scale."""
    x, out = Spec((1, 64, 64, 2), "int8", 0.02, -3), Spec((1, 2), "int8", 4.0, 5)
    assert_bit_exact(op_model(tmp_path / "s.tflite", "SUM", [x, np.array([1, 2], np.int32)], out), samples=4)


def test_reduce_max_rejects_requantization(tmp_path):
    x, out = Spec((4, 5), "int8", 0.1, 0), Spec((4,), "int8", 0.2, 0)
    path = op_model(tmp_path / "m.tflite", "REDUCE_MAX", [x, np.array([1], np.int32)], out)
    with pytest.raises(TinygenError, match="quantization differ"):
        compile_model(path)


# --- TRANSPOSE_CONV --------------------------------------------------------------------------------

@st.composite
def transpose_conv_cases(draw):
    """Output sizes include TensorFlow's output_padding variants (SAME may also give one less per
    extra stride step, VALID up to stride - 1 more)."""
    kh, kw, sh, sw = (draw(st.integers(1, 4)) for _ in range(4))
    padding = draw(st.sampled_from([0, 1]))  # SAME, VALID
    batch, in_h, in_w = draw(st.integers(1, 2)), draw(st.integers(1, 5)), draw(st.integers(1, 5))
    in_c, out_c = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    extra_h, extra_w = draw(st.integers(0, sh - 1)), draw(st.integers(0, sw - 1))
    if padding == 0:
        out_h, out_w = in_h * sh - extra_h, in_w * sw - extra_w
    else:
        out_h, out_w = (in_h - 1) * sh + kh + extra_h, (in_w - 1) * sw + kw + extra_w
    rng = np.random.default_rng(draw(st.integers(0, 999)))
    per_channel = draw(st.booleans())
    w_scale = [float(np.float32(s)) for s in rng.uniform(0.002, 0.05, out_c)] if per_channel else draw(scales) / 64
    x, out = _spec(draw, (batch, in_h, in_w, in_c)), _spec(draw, (batch, out_h, out_w, out_c))
    weights = Spec((out_c, kh, kw, in_c), "int8", w_scale, 0, data=_weights(rng, (out_c, kh, kw, in_c)))
    inputs = [np.array([batch, out_h, out_w, out_c], np.int32), weights, x]
    if draw(st.booleans()):
        inputs.append(rng.integers(-5000, 5000, out_c).astype(np.int32))
    activation = draw(st.sampled_from([0, 1, 3]))  # NONE, RELU, RELU6
    options = {"padding": padding, "strideH": sh, "strideW": sw, "fusedActivationFunction": activation}
    return inputs, out, options


@FEW
@given(transpose_conv_cases())
def test_transpose_conv_random(tmp_path, case):
    inputs, out, options = case
    assert_bit_exact(op_model(tmp_path / "t.tflite", "TRANSPOSE_CONV", inputs, out, **options), samples=3)


# --- BATCH_MATMUL ----------------------------------------------------------------------------------

@st.composite
def batch_matmul_cases(draw):
    batch = draw(st.lists(st.integers(1, 3), max_size=3))

    def batch_dims():
        dims = [n if draw(st.booleans()) else 1 for n in batch]
        return dims[draw(st.integers(0, len(batch))):]

    rows, depth, cols = (draw(st.integers(1, 6)) for _ in range(3))
    adj_x, adj_y = draw(st.booleans()), draw(st.booleans())
    lhs_shape = tuple(batch_dims()) + ((depth, rows) if adj_x else (rows, depth))
    rhs_shape = tuple(batch_dims()) + ((cols, depth) if adj_y else (depth, cols))
    lhs, rhs = _spec(draw, lhs_shape), _spec(draw, rhs_shape)
    if draw(st.booleans()):
        rhs.data = _weights(np.random.default_rng(draw(st.integers(0, 999))), rhs_shape)
    out_batch = np.broadcast_shapes(lhs_shape[:-2], rhs_shape[:-2])
    return lhs, rhs, _spec(draw, tuple(out_batch) + (rows, cols)), adj_x, adj_y


@FEW
@given(batch_matmul_cases())
def test_batch_matmul_random(tmp_path, case):
    lhs, rhs, out, adj_x, adj_y = case
    assert_bit_exact(op_model(tmp_path / "m.tflite", "BATCH_MATMUL", [lhs, rhs], out, adjX=adj_x, adjY=adj_y),
                     samples=3)


# --- L2_NORMALIZATION ------------------------------------------------------------------------------

@pytest.mark.parametrize("shape, zp", [((2, 3, 5, 7), -4), ((1, 9000), 127)])
def test_l2norm(tmp_path, shape, zp):
    """Rows that are all zero point (a zero norm), and a row long enough that the sum of squares
    passes 2^29 (the inverse square root rescales it by powers of 4)."""
    x = Spec(shape, "int8", 0.03, zp)
    path = op_model(tmp_path / "l2.tflite", "L2_NORMALIZATION", [x], Spec(shape, "int8", 1 / 128, 0))
    rows = np.random.default_rng(0).integers(-128, 128, shape).astype(np.int8)
    rows.reshape(-1, shape[-1])[0] = zp
    np.save(tmp_path / "rows.npy", rows)
    report = validate(path, samples=3, input_files=(tmp_path / "rows.npy",))
    assert report.max_abs_diff == 0, report


# --- table ops: ELU, ABS, RSQRT --------------------------------------------------------------------

@FEW
@given(st.sampled_from(["ELU", "ABS"]), scales, zero_points, scales, zero_points)
def test_table_ops_every_input(tmp_path, kind, input_scale, input_zp, output_scale, output_zp):
    path = single_op_model(tmp_path / "u.tflite", kind, [Spec((256,), "int8", input_scale, input_zp)],
                           Spec((256,), "int8", output_scale, output_zp))
    validate_every_int8(path, tmp_path, (256,))


@FEW
@given(st.floats(-10, 2), st.integers(-128, 0), st.floats(-6, 4), zero_points)
def test_rsqrt_every_valid_input(tmp_path, input_exp, input_zp, output_exp, output_zp):
    """Every input at or above the zero point (TFLM fails the invocation for the others)."""
    x = Spec((256,), "int8", 2.0 ** input_exp, input_zp)
    path = single_op_model(tmp_path / "rs.tflite", "RSQRT", [x], Spec((256,), "int8", 2.0 ** output_exp, output_zp))
    np.save(tmp_path / "valid.npy", np.resize(np.arange(input_zp, 128), 256).astype(np.int8))
    report = validate(path, samples=0, input_files=(tmp_path / "valid.npy",))
    assert report.max_abs_diff == 0, report


@pytest.mark.parametrize("kind", ["NEG", "EXP"])
def test_float_only_ops_are_rejected(tmp_path, kind):
    path = single_op_model(tmp_path / "f.tflite", kind, [Spec((4,), "int8", 0.1, 0)], Spec((4,), "int8", 0.1, 0))
    with pytest.raises(TinygenError, match="float32 only"):
        compile_model(path)


# --- Prepare precision -----------------------------------------------------------------------------
# Scales where forming TFLM's Prepare ratios in float32, as older TFLM sources do, instead of double
# (the tflite-micro package) changes at least one output.

def test_batch_matmul_prepare_precision(tmp_path):
    """Every product of two int8 values: lhs (256, 1) x constant rhs (1, 256)."""
    lhs = Spec((256, 1), "int8", 0.43823862075805664, 115)
    rhs = Spec((1, 256), "int8", 0.021893983706831932, 68, data=np.arange(-128, 128, dtype=np.int8).reshape(1, 256))
    out = Spec((256, 256), "int8", 0.04592377692461014, -62)
    path = op_model(tmp_path / "p.tflite", "BATCH_MATMUL", [lhs, rhs], out)
    validate_every_int8(path, tmp_path, (256, 1))


def test_abs_prepare_precision(tmp_path):
    path = single_op_model(tmp_path / "a.tflite", "ABS", [Spec((256,), "int8", 0.011417267844080925, -100)],
                           Spec((256,), "int8", 0.014293373562395573, -124))
    validate_every_int8(path, tmp_path, (256,))


def test_rsqrt_prepare_precision(tmp_path):
    zp = -102
    path = single_op_model(tmp_path / "r.tflite", "RSQRT", [Spec((256,), "int8", 0.39825189113616943, zp)],
                           Spec((256,), "int8", 0.11885526031255722, -42))
    np.save(tmp_path / "valid.npy", np.resize(np.arange(zp, 128), 256).astype(np.int8))
    report = validate(path, samples=0, input_files=(tmp_path / "valid.npy",))
    assert report.max_abs_diff == 0, report
