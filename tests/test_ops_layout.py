"""Pools, MEAN, PAD/PADV2, CONCATENATION, TRANSPOSE and RESIZE_NEAREST_NEIGHBOR from Keras, bit-exact
with TFLite Micro. Several variants share one model (one output each) to keep conversions few."""
import struct
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from keras_util import assert_bit_exact, check_ops, keras_model, lambda_layer, quantize, tf
from tinygen.errors import TinygenError
from tinygen.frontend import load_model, schema
from tinygen.frontend.flatbuffer import root_table
from tinygen.ops.mean import mean_multiplier
from tinygen.ops.resize import nearest_indices
from tinygen.validate import validate

SETTINGS = settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))


def layers():
    return tf().keras.layers


def with_quantization(path: Path, tensor_index: int, scale: float, zero_point: int) -> Path:
    """A copy of the model with one tensor's (per-tensor) scale and zero point rewritten in place:
    quantizations the converter never chooses by itself."""
    data = bytearray(path.read_bytes())
    tensor = root_table(bytes(data)).tables(schema.MODEL_SUBGRAPHS)[0].tables(schema.SUBGRAPH_TENSORS)[tensor_index]
    quant = tensor.table(schema.TENSOR_QUANT)
    struct.pack_into("<f", data, quant._indirect(schema.QUANT_SCALE) + 4, scale)
    struct.pack_into("<q", data, quant._indirect(schema.QUANT_ZERO_POINT) + 4, zero_point)
    out = path.with_name(f"{path.stem}_t{tensor_index}.tflite")
    out.write_bytes(bytes(data))
    return out


def first_op(path: Path, kind: str):
    return next(op for op in load_model(path).ops if op.kind == kind)


# --- pooling ---------------------------------------------------------------------------------

@st.composite
def pool_configs(draw):
    pool = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    return dict(pool=pool, strides=(draw(st.integers(1, 3)), draw(st.integers(1, 3))),
                padding=draw(st.sampled_from(["same", "valid"])),
                h=draw(st.integers(pool[0], pool[0] + 7)), w=draw(st.integers(pool[1], pool[1] + 7)),
                c=draw(st.integers(1, 5)), seed=draw(st.integers(0, 99)))


@SETTINGS
@given(pool_configs())
def test_pools(tmp_path_factory, c):
    L = layers()
    args = dict(pool_size=c["pool"], strides=c["strides"], padding=c["padding"])
    model = keras_model(lambda x: [L.AveragePooling2D(**args)(x), L.MaxPooling2D(**args)(x)],
                        [(c["h"], c["w"], c["c"])])
    check_ops(model, tmp_path_factory.mktemp("pool") / "m.tflite", "AVERAGE_POOL_2D", "MAX_POOL_2D", seed=c["seed"])


def test_pools_with_activations_and_offset_range(tmp_path):
    """Asymmetric input range (non-zero zero point) and fused or following clamps."""
    L = layers()
    model = keras_model(lambda x: [L.ReLU(6.0)(L.MaxPooling2D(3, 2, padding="same")(x)),
                                   L.ReLU()(L.AveragePooling2D(3, 2, padding="same")(x)),
                                   L.AveragePooling2D((2, 5), (1, 3), padding="same")(x)],
                        [(9, 11, 4)])
    check_ops(model, tmp_path / "m.tflite", "AVERAGE_POOL_2D", "MAX_POOL_2D", low=-2.0, high=7.0)


# --- MEAN ------------------------------------------------------------------------------------

def test_global_average_pooling(tmp_path):
    L = layers()
    model = keras_model(lambda x: [L.GlobalAveragePooling2D()(x), L.GlobalAveragePooling2D(keepdims=True)(x)],
                        [(13, 17, 6)])
    check_ops(model, tmp_path / "m.tflite", "MEAN", low=-0.5, high=3.0)


@st.composite
def mean_configs(draw):
    rank = draw(st.integers(2, 5))
    shape = [draw(st.integers(1, 6)) for _ in range(rank - 1)]
    first = draw(st.integers(1, rank - 1))
    # A mean over size-1 axes only is converted away, so one reduced axis is longer.
    shape[first - 1] = max(2, shape[first - 1])
    axes = [first - draw(st.sampled_from([0, rank]))] + draw(st.lists(st.integers(-rank, rank - 1), max_size=rank))
    return dict(shape=tuple(shape), axes=axes, keepdims=draw(st.booleans()),
                low=draw(st.sampled_from([-1.0, -0.1, 0.0])), high=draw(st.sampled_from([0.2, 1.0, 40.0])))


@SETTINGS
@given(mean_configs())
def test_mean_any_axes(tmp_path_factory, c):
    reduce_mean = tf().reduce_mean
    model = keras_model(lambda x: lambda_layer(lambda t: reduce_mean(t, axis=c["axes"], keepdims=c["keepdims"]))(x),
                        [c["shape"]])
    check_ops(model, tmp_path_factory.mktemp("mean") / "m.tflite", "MEAN", low=c["low"], high=c["high"])


@pytest.mark.parametrize("ratio, zero_point", [
    (1.0, None),     # output quantized like the input
    (1 / 3, 50),     # scaled up: the mean saturates at both ends
    (1 / 300, -100),  # a multiplier far above 1
    (2.0 ** -14, 0),  # still above 1 after folding in 1/count: a left shift, saturating
    (2.0 ** 21, 7),  # a right shift TFLM clamps at 31, trading precision of 1/count
])
def test_mean_with_unusual_output_quantization(tmp_path, ratio, zero_point):
    """4096 elements per mean, so 1/count takes 12 bits of the shift."""
    L = layers()
    path = quantize(keras_model(lambda x: L.GlobalAveragePooling2D()(x), [(64, 64, 2)]), tmp_path / "m.tflite")
    mean = first_op(path, "MEAN")
    x = mean.inputs[0].quant
    patched = with_quantization(path, mean.outputs[0].index, float(x.s) * ratio,
                                x.zp if zero_point is None else zero_point)
    assert_bit_exact(patched, samples=8)


def test_mean_multiplier_folds_count_into_the_significand():
    # 1/3 can not be folded exactly: (m << 1) // 3 truncates, and the shift moves by floor(log2 3).
    m, s = mean_multiplier(np.float32(0.5), np.float32(0.25), 3)
    assert (m, s) == (((1 << 30) << 1) // 3, 2 - 1)
    # The total right shift never exceeds 31, whatever the count.
    assert mean_multiplier(np.float32(1e-6), np.float32(1.0), 1 << 20)[1] >= -31


def test_pool_refuses_requantization(tmp_path):
    L = layers()
    path = quantize(keras_model(lambda x: L.MaxPooling2D(2)(x), [(4, 4, 2)]), tmp_path / "m.tflite")
    pool = first_op(path, "MAX_POOL_2D")
    patched = with_quantization(path, pool.outputs[0].index, float(pool.inputs[0].quant.s) * 2, 0)
    with pytest.raises(TinygenError, match="quantization differ"):
        validate(patched)


# --- PAD / PADV2 -----------------------------------------------------------------------------

def test_zero_padding_then_pool_and_as_output(tmp_path):
    L = layers()
    model = keras_model(lambda x: [L.MaxPooling2D(2)(L.ZeroPadding2D(((1, 2), (0, 3)))(x)),
                                   L.ZeroPadding2D(((2, 0), (1, 1)))(x)],
                        [(5, 7, 3)])
    # An input range away from zero gives a zero point far from 0, which PAD must write.
    check_ops(model, tmp_path / "m.tflite", "PAD", low=0.5, high=2.0)


@pytest.mark.parametrize("shape, paddings, value", [
    ((6,), [[0, 0], [2, 3]], 0.3),
    ((6, 5), [[0, 0], [2, 1], [0, 3]], 0.0),
    ((3, 4, 2, 5), [[0, 0], [1, 1], [0, 2], [3, 0], [1, 2]], 0.75),
    ((4, 4, 3), [[0, 0], [1, 2], [2, 1], [1, 1]], -0.4),
])
def test_tf_pad_any_rank(tmp_path, shape, paddings, value):
    pad = tf().pad
    model = keras_model(lambda x: lambda_layer(lambda t: pad(t, paddings, constant_values=value))(x), [shape])
    check_ops(model, tmp_path / "m.tflite", "PADV2" if value else "PAD")


# --- CONCATENATION ---------------------------------------------------------------------------

@st.composite
def concat_configs(draw):
    rank = draw(st.integers(2, 4))
    base = [draw(st.integers(1, 5)) for _ in range(rank - 1)]
    axis = draw(st.sampled_from([a for a in range(-rank, rank) if a not in (0, -rank)]))
    shapes = []
    for _ in range(draw(st.integers(2, 4))):
        shape = list(base)
        shape[axis % rank - 1] = draw(st.integers(1, 4))
        shapes.append(tuple(shape))
    return dict(shapes=shapes, axis=axis, seed=draw(st.integers(0, 99)))


@SETTINGS
@given(concat_configs())
def test_concatenation(tmp_path_factory, c):
    L = layers()
    model = keras_model(lambda *xs: L.Concatenate(axis=c["axis"])(list(xs)), c["shapes"])
    check_ops(model, tmp_path_factory.mktemp("cat") / "m.tflite", "CONCATENATION", seed=c["seed"])


def test_concatenation_with_a_constant_and_repeated_input(tmp_path):
    constant, concat = tf().constant, tf().concat
    table = np.linspace(-1, 1, 2 * 3 * 2, dtype=np.float32).reshape(1, 2, 3, 2)
    model = keras_model(lambda x: lambda_layer(lambda t: concat([t, constant(table), t], axis=1))(x), [(4, 3, 2)])
    check_ops(model, tmp_path / "m.tflite", "CONCATENATION")


def test_concatenation_refuses_requantization(tmp_path):
    """TFLM's int8 CONCATENATION copies bytes and requires equal quantization; so does tinygen."""
    L = layers()
    path = quantize(keras_model(lambda a, b: L.Concatenate()([a, b]), [(3, 2), (3, 4)]), tmp_path / "m.tflite")
    concat = first_op(path, "CONCATENATION")
    patched = with_quantization(path, concat.inputs[1].index, float(concat.inputs[1].quant.s) * 3, 5)
    with pytest.raises(TinygenError, match="TFLM requires them equal"):
        validate(patched)


# --- TRANSPOSE -------------------------------------------------------------------------------

def _reorders_real_axes(perm) -> bool:
    """The converter turns a transpose that only moves the size-1 batch axis into a reshape."""
    moved = [p for p in perm if p != 0]
    return moved != sorted(moved)


@SETTINGS
@given(st.integers(3, 5).flatmap(lambda rank: st.tuples(
    st.lists(st.integers(2, 5), min_size=rank - 1, max_size=rank - 1),
    st.permutations(range(rank)).filter(_reorders_real_axes))))
def test_transpose(tmp_path_factory, shape_perm):
    shape, perm = shape_perm
    transpose = tf().transpose
    model = keras_model(lambda x: lambda_layer(lambda t: transpose(t, perm))(x), [tuple(shape)])
    check_ops(model, tmp_path_factory.mktemp("transpose") / "m.tflite", "TRANSPOSE")


def test_permute_layer(tmp_path):
    L = layers()
    model = keras_model(lambda x: [L.Permute((3, 1, 2))(x), L.Permute((2, 1))(L.Reshape((12, 5))(x))], [(3, 4, 5)])
    check_ops(model, tmp_path / "m.tflite", "TRANSPOSE")


# --- RESIZE_NEAREST_NEIGHBOR -----------------------------------------------------------------

# With a 14x8 input, 14 -> 23 (align_corners) and 8 -> 47 (half_pixel_centers) hit a position that
# is exactly .5 or an integer in exact arithmetic, where float32 rounding picks the other pixel.
SIZES = [(1, 1), (2, 3), (9, 4), (23, 47), (46, 41), (45, 55), (5, 13)]


def test_resize_nearest_modes(tmp_path):
    """Every (align_corners, half_pixel_centers) combination TF produces, up and down, odd ratios."""
    image, v1 = tf().image, tf().compat.v1.image

    def outputs(x):
        results = []
        for size in SIZES:
            results.append(lambda_layer(lambda t, s=size: image.resize(t, s, method="nearest"))(x))
            for corners, half in [(True, False), (False, False), (False, True)]:
                results.append(lambda_layer(lambda t, s=size, a=corners, h=half: v1.resize_nearest_neighbor(
                    t, s, align_corners=a, half_pixel_centers=h))(x))
        return results

    report = check_ops(keras_model(outputs, [(14, 8, 2)]), tmp_path / "m.tflite", "RESIZE_NEAREST_NEIGHBOR")
    assert len(report.outputs) == 4 * len(SIZES)


def test_nearest_indices_follow_float32():
    # 13/22 * 11 is 6.5 exactly, which would round to 7; in float32 it is just below 6.5.
    assert nearest_indices(14, 23, True, False)[11] == 6
    assert nearest_indices(5, 9, True, False).tolist() == [0, 1, 1, 2, 2, 3, 3, 4, 4]
    assert nearest_indices(5, 1, True, False).tolist() == [0]
