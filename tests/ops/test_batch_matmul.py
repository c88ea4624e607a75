from __future__ import annotations
from hypothesis import given
from hypothesis import strategies as st
import numpy as np
from helpers import FEW, Spec, assert_bit_exact, keras_model, op_kinds, quantize, random_weights, single_op_model, tf, validate_every_int8, wide_spec


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
    lhs, rhs = wide_spec(draw, lhs_shape), wide_spec(draw, rhs_shape)
    if draw(st.booleans()):
        rhs.data = random_weights(np.random.default_rng(draw(st.integers(0, 999))), rhs_shape)
    out_batch = np.broadcast_shapes(lhs_shape[:-2], rhs_shape[:-2])
    return lhs, rhs, wide_spec(draw, tuple(out_batch) + (rows, cols)), adj_x, adj_y


def test_keras_batch_matmul(tmp_path):
    keras, tensorflow = tf().keras, tf()

    def build(x, y):
        return [keras.layers.Lambda(lambda t: tensorflow.matmul(t[0], t[1], transpose_b=True))([x, y]),
                keras.layers.Lambda(lambda t: tensorflow.matmul(t, t, transpose_a=True))(x)]

    path = quantize(keras_model(build, [(2, 3, 4), (1, 5, 4)]), tmp_path / "bmm.tflite")
    assert op_kinds(path) == {"BATCH_MATMUL"}
    assert_bit_exact(path)


@FEW
@given(batch_matmul_cases())
def test_batch_matmul_random(tmp_path, case):
    lhs, rhs, out, adj_x, adj_y = case
    assert_bit_exact(single_op_model(tmp_path / "m.tflite", "BATCH_MATMUL", [lhs, rhs], out, adjX=adj_x, adjY=adj_y),
                     samples=3)


def test_batch_matmul_prepare_precision(tmp_path):
    """Every product of two int8 values: lhs (256, 1) x constant rhs (1, 256)."""
    lhs = Spec((256, 1), "int8", 0.43823862075805664, 115)
    rhs = Spec((1, 256), "int8", 0.021893983706831932, 68, data=np.arange(-128, 128, dtype=np.int8).reshape(1, 256))
    out = Spec((256, 256), "int8", 0.04592377692461014, -62)
    path = single_op_model(tmp_path / "p.tflite", "BATCH_MATMUL", [lhs, rhs], out)
    validate_every_int8(path, tmp_path, (256, 1))
