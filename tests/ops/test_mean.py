from __future__ import annotations
from dataclasses import replace
from hypothesis import given
from hypothesis import strategies as st
from tinygen.ops.mean import mean_multiplier
import numpy as np
import pytest
from helpers import (FEW, SOME, Spec, assert_bit_exact, check_ops, first_op, int16_spec, kernel_functions, keras_model,
                     lambda_layer, layers, quantize, single_op_model, tf, wide_spec, with_quantization)


@st.composite
def reduce_cases(draw):
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=1, max_size=5)))
    rank = len(shape)
    axes = draw(st.lists(st.integers(-rank, rank - 1), min_size=1, max_size=4))  # negatives and duplicates too
    keep = draw(st.booleans())
    reduced = {a % rank for a in axes}
    out_shape = tuple(1 if i in reduced else d for i, d in enumerate(shape) if keep or i not in reduced)
    kind = draw(st.sampled_from(["SUM", "REDUCE_MAX"]))
    x = wide_spec(draw, shape)
    out = replace(x, shape=out_shape) if kind == "REDUCE_MAX" else wide_spec(draw, out_shape)
    return kind, x, np.array(axes, np.int32), out, keep


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


@FEW
@given(reduce_cases())
def test_reductions_random(tmp_path, case):
    kind, x, axes, out, keep = case
    assert_bit_exact(single_op_model(tmp_path / "r.tflite", kind, [x, axes], out, keepDims=keep), samples=4)


def test_sum_of_many_requantizes_down(tmp_path):
    """4096 summed values into a much coarser output scale."""
    x, out = Spec((1, 64, 64, 2), "int8", 0.02, -3), Spec((1, 2), "int8", 4.0, 5)
    assert_bit_exact(single_op_model(tmp_path / "s.tflite", "SUM", [x, np.array([1, 2], np.int32)], out), samples=4)


@SOME
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


@SOME
@given(st.sampled_from(["MEAN", "SUM"]), st.booleans(), st.data())
def test_mean_and_sum_int16(tmp_path, kind, keep, data):
    x = int16_spec(data.draw, (2, 5, 6, 3))
    out = int16_spec(data.draw, (2, 1, 1, 3) if keep else (2, 3))
    path = single_op_model(tmp_path / "m16.tflite", kind, [x, np.array([1, 2], np.int32)], out, keepDims=keep)
    assert kernel_functions(path) == {"tg_mean_s16"}
    assert_bit_exact(path, samples=4)
