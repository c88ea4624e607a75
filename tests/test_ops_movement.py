"""Data-movement ops (SPLIT, SPLIT_V, UNPACK, PACK, SLICE, GATHER, DEPTH_TO_SPACE, SPACE_TO_DEPTH,
BATCH_TO_SPACE_ND, SPACE_TO_BATCH_ND, MIRROR_PAD), RESIZE_BILINEAR and ARG_MAX/ARG_MIN, bit-exact
with TFLite Micro. Each model carries several variants as separate outputs to keep conversions few."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from keras_util import assert_bit_exact, check_ops, keras_model, lambda_layer, quantize, tf
from tinygen.compiler import compile_model
from tinygen.errors import TinygenError
from tinygen.frontend import load_model
from tinygen.ir import Op, Quant, Tensor
from tinygen.ops import lower
from tinygen.ops.mirror_pad import mirror_source
from tinygen.ops.resize_bilinear import interpolation_table

SETTINGS = settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck))

RANGES = st.sampled_from([(-1.0, 1.0), (0.0, 1.0), (-3.0, 0.5)])  # zero points mid, -128, high


# --- SPLIT, SPLIT_V, UNPACK ------------------------------------------------------------------

@st.composite
def split_configs(draw):
    shape = [draw(st.integers(1, 5)) for _ in range(draw(st.integers(1, 3)))]
    axis = draw(st.integers(1, len(shape)))  # of the batched shape
    parts = draw(st.integers(2, 3))
    shape[axis - 1] = parts * draw(st.integers(1, 2))
    cuts = sorted(draw(st.lists(st.integers(1, shape[axis - 1] - 1), min_size=1, max_size=2, unique=True)))
    sizes = [b - a for a, b in zip([0] + cuts, cuts + [shape[axis - 1]])]
    return dict(shape=tuple(shape), axis=axis - draw(st.sampled_from([0, len(shape) + 1])), parts=parts,
                sizes=sizes, unpack_axis=draw(st.integers(0, len(shape))), range=draw(RANGES))


@SETTINGS
@given(split_configs())
def test_split_split_v_unpack(tmp_path_factory, c):
    t = tf()

    def build(x):
        return (t.split(x, c["parts"], axis=c["axis"]) + t.split(x, c["sizes"], axis=c["axis"])
                + t.unstack(x, axis=c["unpack_axis"]))
    model = keras_model(lambda x: lambda_layer(build)(x), [c["shape"]])
    low, high = c["range"]
    check_ops(model, tmp_path_factory.mktemp("split") / "m.tflite", "SPLIT", "UNPACK", low=low, high=high)


def test_split_v_with_inferred_size_and_one_output(tmp_path):
    t = tf()
    model = keras_model(lambda x: lambda_layer(lambda v: t.split(v, [2, -1, 3], axis=2) + t.split(v, 1, axis=3))(x),
                        [(3, 7, 4)])
    check_ops(model, tmp_path / "m.tflite", "SPLIT_V")


def test_int32_tensors_move_by_bytes(tmp_path):
    """SPLIT_V, UNPACK and SLICE of an int32 model input (an int8 branch keeps the model quantized)."""
    t = tf()

    @t.function(input_signature=[t.TensorSpec((1, 4, 3), t.float32), t.TensorSpec((2, 6, 3), t.int32)])
    def f(x, k):
        return [t.nn.relu(x), t.slice(k, [1, 1, 0], [1, 3, -1])] + t.split(k, [2, 4], axis=1) + t.unstack(k, axis=2)
    converter = t.lite.TFLiteConverter.from_concrete_functions([f.get_concrete_function()], f)
    converter.optimizations = [t.lite.Optimize.DEFAULT]
    rng = np.random.default_rng(0)
    converter.representative_dataset = lambda: ([rng.uniform(-1, 1, (1, 4, 3)).astype(np.float32),
                                                 rng.integers(-9, 9, (2, 6, 3)).astype(np.int32)] for _ in range(8))
    converter.inference_input_type = converter.inference_output_type = t.int8
    path = tmp_path / "m.tflite"
    path.write_bytes(converter.convert())
    assert {"SPLIT_V", "UNPACK", "SLICE"} <= {op.kind for op in load_model(path).ops}
    assert_bit_exact(path)


# --- PACK, SLICE -----------------------------------------------------------------------------

@st.composite
def pack_slice_configs(draw):
    shape = tuple(draw(st.integers(1, 5)) for _ in range(draw(st.integers(1, 3))))
    rank = len(shape) + 1
    begin = [0] + [draw(st.integers(0, d - 1)) for d in shape]
    size = [1] + [draw(st.sampled_from([-1, draw(st.integers(1, d - b))])) for d, b in zip(shape, begin[1:])]
    return dict(shape=shape, count=draw(st.integers(2, 4)), axis=draw(st.integers(-rank - 1, rank)),
                begin=begin, size=size, range=draw(RANGES))


@SETTINGS
@given(pack_slice_configs())
def test_pack_and_slice(tmp_path_factory, c):
    t = tf()

    def build(*xs):
        return [lambda_layer(lambda v: t.stack(v, axis=c["axis"]))(list(xs)),
                lambda_layer(lambda v: t.slice(v, c["begin"], c["size"]))(xs[0])]
    model = keras_model(build, [c["shape"]] * c["count"])
    low, high = c["range"]
    check_ops(model, tmp_path_factory.mktemp("pack") / "m.tflite", "PACK", low=low, high=high)


def test_slice_of_every_rank_up_to_five(tmp_path):
    t = tf()
    model = keras_model(lambda x: [lambda_layer(lambda v: t.slice(v, [0, 1, 0, 2, 1], [1, 2, -1, 1, 3]))(x),
                                   lambda_layer(lambda v: t.slice(t.reshape(v, (6, 20)), [2, 5], [3, 14]))(x)],
                        [(3, 2, 4, 5)])
    check_ops(model, tmp_path / "m.tflite", "SLICE")


# --- GATHER ----------------------------------------------------------------------------------

@st.composite
def gather_configs(draw):
    shape = tuple(draw(st.integers(1, 5)) for _ in range(draw(st.integers(1, 3))))
    axis = draw(st.integers(1, len(shape)))
    size = shape[axis - 1]
    index_shape = draw(st.sampled_from([(), (3,), (2, 2)]))
    indices = np.array(draw(st.lists(st.integers(0, size - 1), min_size=4, max_size=4)), np.int32)
    return dict(shape=shape, axis=axis - draw(st.sampled_from([0, len(shape) + 1])),
                indices=indices[:int(np.prod(index_shape))].reshape(index_shape).tolist(), range=draw(RANGES))


@SETTINGS
@given(gather_configs())
def test_gather(tmp_path_factory, c):
    t = tf()
    model = keras_model(lambda x: [lambda_layer(lambda v: t.gather(v, c["indices"], axis=c["axis"]))(x),
                                   lambda_layer(lambda v: t.gather(v, [0, 0], axis=0))(x)],
                        [c["shape"]])
    low, high = c["range"]
    check_ops(model, tmp_path_factory.mktemp("gather") / "m.tflite", "GATHER", low=low, high=high)


# --- DEPTH_TO_SPACE, SPACE_TO_DEPTH, SPACE_TO_BATCH_ND, BATCH_TO_SPACE_ND --------------------

@SETTINGS
@given(st.integers(2, 3), st.integers(1, 3), st.integers(1, 3), st.integers(1, 3), RANGES)
def test_depth_to_space_and_back(tmp_path_factory, block, h, w, c, value_range):
    nn = tf().nn
    # Divisible both ways: H and W by the block for SPACE_TO_DEPTH, depth by its square for DEPTH_TO_SPACE.
    model = keras_model(lambda x: [lambda_layer(lambda v: nn.depth_to_space(v, block))(x),
                                   lambda_layer(lambda v: nn.space_to_depth(v, block))(x)],
                        [(h * block, w * block, c * block * block)])
    low, high = value_range
    check_ops(model, tmp_path_factory.mktemp("d2s") / "m.tflite", "DEPTH_TO_SPACE", "SPACE_TO_DEPTH",
          low=low, high=high)


@st.composite
def space_batch_configs(draw):
    block = [draw(st.integers(2, 3)), draw(st.integers(2, 3))]  # the converter rewrites blocks of 1
    h, w = draw(st.integers(2, 3)), draw(st.integers(2, 3))  # more than the crops take
    # One input, seen as an image of height bh * bw * h for SPACE_TO_BATCH_ND and as bh * bw
    # images of h x w for BATCH_TO_SPACE_ND.
    pads = []
    for b, size in zip(block, (block[0] * block[1] * h, w)):
        before = draw(st.integers(0, 2))
        pads.append([before, -(size + before) % b + b * draw(st.integers(0, 1))])
    crops = [[draw(st.integers(0, b - 1)), draw(st.integers(0, b - 1))] for b in block]
    return dict(block=block, h=h, w=w, c=draw(st.integers(1, 3)), pads=pads, crops=crops, range=draw(RANGES))


@SETTINGS
@given(space_batch_configs())
def test_space_to_batch_and_batch_to_space(tmp_path_factory, c):
    t = tf()
    (bh, bw), h, w = c["block"], c["h"], c["w"]

    def to_space(v):
        return t.batch_to_space(t.reshape(v, (bh * bw, h, w, c["c"])), c["block"], c["crops"])
    model = keras_model(lambda x: [lambda_layer(lambda v: t.space_to_batch_nd(v, c["block"], c["pads"]))(x), lambda_layer(to_space)(x)],
                        [(bh * bw * h, w, c["c"])])
    low, high = c["range"]
    check_ops(model, tmp_path_factory.mktemp("s2b") / "m.tflite", "SPACE_TO_BATCH_ND", "BATCH_TO_SPACE_ND",
          low=low, high=high)


def test_space_batch_on_3d_tensors(tmp_path):
    """NHC tensors, which TFLM runs as NHWC of width 1; padding with a zero point of -128."""
    t = tf()
    model = keras_model(lambda x: [lambda_layer(lambda v: t.space_to_batch_nd(v, [3], [[2, 0]]))(x),
                                   lambda_layer(lambda v: t.batch_to_space(t.reshape(v, (2, 5, 3)), [2], [[1, 2]]))(x)],
                        [(10, 3)])
    check_ops(model, tmp_path / "m.tflite", "SPACE_TO_BATCH_ND", "BATCH_TO_SPACE_ND", low=0.0, high=2.0)


# --- MIRROR_PAD ------------------------------------------------------------------------------

@st.composite
def mirror_configs(draw):
    shape = tuple(draw(st.integers(2, 4)) for _ in range(draw(st.integers(1, 3))))
    pads = [[0, 0]] + [[draw(st.integers(0, d - 1)), draw(st.integers(0, d - 1))] for d in shape]
    return dict(shape=shape, pads=pads, range=draw(RANGES))


@SETTINGS
@given(mirror_configs())
def test_mirror_pad(tmp_path_factory, c):
    pad = tf().pad
    # SYMMETRIC allows one more than REFLECT on each side.
    wider = [[a, b + (i > 0)] for i, (a, b) in enumerate(c["pads"])]
    model = keras_model(lambda x: [lambda_layer(lambda v: pad(v, c["pads"], mode="REFLECT"))(x),
                                   lambda_layer(lambda v: pad(v, wider, mode="SYMMETRIC"))(x)],
                        [c["shape"]])
    low, high = c["range"]
    check_ops(model, tmp_path_factory.mktemp("mirror") / "m.tflite", "MIRROR_PAD", low=low, high=high)


def test_mirror_source_matches_numpy():
    for size in range(1, 5):
        for mode, limit in (("reflect", size - 1), ("symmetric", size)):
            for before in range(limit + 1):
                for after in range(limit + 1):
                    padded = np.pad(np.arange(size), (before, after), mode=mode)
                    got = [mirror_source(i, before, size, mode == "reflect") for i in range(len(padded))]
                    assert got == padded.tolist(), (mode, size, before, after)


# --- RESIZE_BILINEAR -------------------------------------------------------------------------

@SETTINGS
@given(st.integers(1, 6), st.integers(1, 6), st.integers(1, 13), st.integers(1, 13), RANGES)
def test_resize_bilinear_all_modes(tmp_path_factory, h, w, out_h, out_w, value_range):
    resize = tf().compat.v1.image.resize_bilinear
    size = [out_h, out_w]
    model = keras_model(lambda x: [lambda_layer(lambda v: resize(v, size, align_corners=False, half_pixel_centers=False))(x),
                                   lambda_layer(lambda v: resize(v, size, align_corners=True))(x),
                                   lambda_layer(lambda v: resize(v, size, half_pixel_centers=True))(x)],
                        [(h, w, 3)])
    low, high = value_range
    check_ops(model, tmp_path_factory.mktemp("bilinear") / "m.tflite", "RESIZE_BILINEAR", low=low, high=high)


def test_keras_bilinear_upsampling(tmp_path):
    L = tf().keras.layers
    model = keras_model(lambda x: [L.UpSampling2D((2, 3), interpolation="bilinear")(x),
                                   L.Resizing(4, 9, interpolation="bilinear")(x)],
                        [(5, 7, 4)])
    check_ops(model, tmp_path / "m.tflite", "RESIZE_BILINEAR", low=-4.0, high=1.0)


def test_bilinear_table_runs_past_the_input_for_large_ratios():
    # TFLM's rounded 1/1024 step times 74 lands on row 1 of a 1-row input; the lowering refuses it.
    assert interpolation_table(1, 75, False, False)[74, 0] == 1
    assert interpolation_table(4, 9, False, True)[:, 0].max() <= 3


# --- ARG_MAX, ARG_MIN ------------------------------------------------------------------------

@SETTINGS
@given(st.lists(st.integers(1, 6), min_size=1, max_size=3), st.data())
def test_arg_max_and_min(tmp_path_factory, shape, data):
    t = tf()
    axis = data.draw(st.integers(1, len(shape)))
    axis -= data.draw(st.sampled_from([0, len(shape) + 1]))
    # After a ReLU many values are the zero point, so ties are frequent for ARG_MIN.
    model = keras_model(lambda x: [lambda_layer(lambda v: t.argmax(v, axis=axis, output_type=t.int32))(x),
                                   lambda_layer(lambda v: t.argmin(t.nn.relu(v), axis=axis, output_type=t.int32))(x)],
                        [tuple(shape)])
    check_ops(model, tmp_path_factory.mktemp("arg") / "m.tflite", "ARG_MAX", "ARG_MIN")


# --- refusals --------------------------------------------------------------------------------

def test_tile_is_refused_as_tflm_has_no_kernel(tmp_path):
    """Keras nearest UpSampling2D converts to RESHAPE + TILE here, which TFLM cannot run."""
    path = quantize(keras_model(lambda x: tf().keras.layers.UpSampling2D(2)(x), [(3, 4, 2)]), tmp_path / "m.tflite")
    with pytest.raises(TinygenError, match="unsupported op TILE"):
        compile_model(path)


def _t(name, shape, dtype="int8", data=None):
    quant = Quant(np.array([0.1], np.float32), np.array([0])) if dtype == "int8" else None
    return Tensor(name, tuple(shape), dtype, quant, None if data is None else np.asarray(data, dtype))


def _axis(value):
    return _t("axis", (), "int32", value)


@pytest.mark.parametrize("op, message", [
    (Op("ARG_MAX", [_t("x", (2, 3)), _axis(1)], [_t("y", (2,), "int64")]), "int32 indices only"),
    (Op("ARG_MIN", [_t("x", (2, 3)), _t("a", (), "int32")], [_t("y", (2,), "int32")]), "constant int32"),
    (Op("GATHER", [_t("x", (4, 3)), _t("i", (2,), "int32")], [_t("y", (2, 3))], {"axis": 0, "batch_dims": 0}),
     "constant int32"),
    (Op("GATHER", [_t("x", (4, 3)), _t("i", (2,), "int32", [1, 4])], [_t("y", (2, 3))],
        {"axis": 0, "batch_dims": 0}), "outside 0..3"),
    (Op("GATHER", [_t("x", (2, 3)), _t("i", (2, 1), "int32", [[1], [0]])], [_t("y", (2, 1))],
        {"axis": 1, "batch_dims": 1}), "batch_dims 1"),
    (Op("GATHER", [_t("x", (4, 3), "int16"), _t("i", (1,), "int32", [1])], [_t("y", (1, 3), "int16")],
        {"axis": 0, "batch_dims": 0}), "supported here: int8, float32"),
    (Op("MIRROR_PAD", [_t("x", (1, 3)), _t("p", (2, 2), "int32", [[0, 0], [3, 0]])], [_t("y", (1, 6))],
        {"mode": 0}), "REFLECT paddings"),
    (Op("RESIZE_BILINEAR", [_t("x", (1, 2, 2, 1)), _t("s", (2,), "int32", [4, 4])], [_t("y", (1, 4, 4, 1))],
        {"align_corners": True, "half_pixel_centers": True}), "refused by TFLM"),
    (Op("RESIZE_BILINEAR", [_t("x", (1, 1, 1, 1)), _t("s", (2,), "int32", [75, 1])], [_t("y", (1, 75, 1, 1))],
        {"align_corners": False, "half_pixel_centers": False}), "out of bounds"),
    (Op("SPLIT", [_axis(0), _t("x", (33,))], [_t(f"y{i}", (1,)) for i in range(33)]), "1 to 32"),
    (Op("SPLIT", [_axis(0), _t("x", (4,))], [_t("y0", (1,)), _t("y1", (3,))]), "must be equal"),
    (Op("PACK", [_t(f"x{i}", (2,)) for i in range(11)], [_t("y", (11, 2))], {"values_count": 11, "axis": 0}),
     "1 to 10"),
    (Op("PACK", [_t("x0", (2,), "int32"), _t("x1", (2,), "int32")], [_t("y", (2, 2), "int32")],
        {"values_count": 2, "axis": 0}), "supported here: int8$"),
    (Op("SLICE", [_t("x", (4, 3)), _t("b", (2,), "int32", [2, 0]), _t("s", (2,), "int32", [3, -1])],
        [_t("y", (3, 3))]), "fall outside"),
    (Op("SPACE_TO_BATCH_ND", [_t("x", (1, 3, 3, 1)), _t("b", (2,), "int32", [2, 2]),
                              _t("p", (2, 2), "int32", [[0, 0], [0, 0]])], [_t("y", (4, 1, 1, 1))]), "does not fit"),
    (Op("DEPTH_TO_SPACE", [_t("x", (1, 2, 2, 6))], [_t("y", (1, 4, 4, 1))]), "one block size"),
])
def test_refusals(op, message):
    with pytest.raises(TinygenError, match=message):
        lower(op)
