"""LOG_SOFTMAX against TFLite Micro: one-op models written with the schema classes (any input
scale and zero point, rows chosen to stress the kernel's sum of exponentials and its log), every
int8 value under every row maximum, and a model the converter made from tf.nn.log_softmax."""
from __future__ import annotations

import shutil

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from helpers import EVERY_INT8, SOME, Spec, check_ops, keras_model, lambda_layer, layers, single_op_model, tf
from tinygen.compiler import compile_model
from tinygen.errors import TinygenError
from tinygen.options import REFERENCE
from tinygen.validate import validate

OUTPUT = dict(scale=16 / 256, zp=127)  # the only output quantization TFLM accepts
SMALLEST_SCALE = float(np.nextafter(np.float32(2.0 ** -26), np.float32(1)))  # the scaling just above 1


def log_softmax_model(path, shape, scale, zp, output=OUTPUT):
    return single_op_model(path, "LOG_SOFTMAX", [Spec(tuple(shape), scale=scale, zp=zp)], Spec(tuple(shape), **output))


def assert_exact_on(path, tmp_path, samples: list[np.ndarray], random_samples: int = 0):
    """The reference kernel against TFLM on these inputs, and on a few random ones."""
    files = []
    for i, sample in enumerate(samples):
        files.append(tmp_path / f"sample{i}.npy")
        np.save(files[-1], sample.astype(np.int8))
    report = validate(path, compile_model(path, REFERENCE), samples=random_samples, input_files=tuple(files))
    assert report.max_abs_diff == 0, report


def stressing_rows(rng, shape) -> np.ndarray:
    """Rows of int8 values of every kind the kernel treats apart: all equal, a narrow band below
    the maximum (many terms in the sum), the whole range, only the two extremes, one lone maximum."""
    depth = shape[-1]
    rows = []
    for _ in range(int(np.prod(shape[:-1], dtype=np.int64))):
        top = int(rng.integers(-128, 128))
        kind = rng.integers(5)
        if kind == 0:
            row = np.full(depth, top)
        elif kind == 1:
            row = top - rng.integers(0, int(rng.integers(1, 40)), depth)
        elif kind == 2:
            row = rng.integers(-128, 128, depth)
        elif kind == 3:
            row = rng.choice([-128, 127], depth)
        else:
            row = np.full(depth, -128)
            row[rng.integers(depth)] = top
        rows.append(np.clip(row, -128, 127))
    return np.array(rows, np.int8).reshape(shape)


scales = st.floats(-26, 7).map(lambda e: max(float(np.float32(2.0 ** e)), SMALLEST_SCALE))
depths = st.one_of(st.integers(1, 8), st.integers(1, 300))


@SOME
@given(st.lists(st.integers(1, 3), max_size=3), depths, scales, st.integers(-128, 127), st.integers(0, 2 ** 16))
def test_log_softmax_random(tmp_path_factory, outer, depth, scale, zp, seed):
    """Ranks 1 to 4, depths 1 to 300, input scales from the smallest TFLM accepts to past the cap."""
    tmp_path = tmp_path_factory.mktemp("log_softmax")
    shape = (*outer, depth)
    rng = np.random.default_rng(seed)
    path = log_softmax_model(tmp_path / "m.tflite", shape, scale, zp)
    assert_exact_on(path, tmp_path, [stressing_rows(rng, shape) for _ in range(3)], random_samples=2)


@pytest.mark.parametrize("scale", [SMALLEST_SCALE, 2.0 ** -20, 0.003, 0.05, 0.1, 0.7, 4.0, 100.0])
def test_log_softmax_every_value_under_every_maximum(tmp_path, scale):
    """Row m holds every int8 value up to m (then m again): each difference under each maximum."""
    rows = np.minimum(EVERY_INT8[None, :], EVERY_INT8[:, None])
    path = log_softmax_model(tmp_path / "m.tflite", rows.shape, scale, -3)
    assert_exact_on(path, tmp_path, [rows, rows[:, ::-1]])


@pytest.mark.parametrize("scale", [0.001, 0.1])
def test_log_softmax_longest_rows(tmp_path, scale):
    """4095 values, the most whose sum of exponentials fits: all equal is the largest sum."""
    shape = (3, 4095)
    equal = np.full(shape, 7)
    lone_maximum = np.full(shape, -128)
    lone_maximum[:, 100] = 127
    path = log_softmax_model(tmp_path / "m.tflite", shape, scale, 0)
    assert_exact_on(path, tmp_path, [equal, lone_maximum, stressing_rows(np.random.default_rng(0), shape)],
                    random_samples=1)


def test_log_softmax_from_keras(tmp_path):
    """What the converter writes for tf.nn.log_softmax after a Dense: the output at 16/256, 127."""
    L = layers()
    model = keras_model(lambda x: lambda_layer(tf().nn.log_softmax)(L.Dense(12)(x)), [(3, 7)])
    check_ops(model, tmp_path / "m.tflite", "LOG_SOFTMAX", low=-3, high=3)


@pytest.mark.parametrize("change, message", [
    (dict(output=dict(scale=1 / 256, zp=-128)), "scale 16/256 and zero point 127"),
    (dict(output=dict(scale=16 / 256, zp=0)), "scale 16/256 and zero point 127"),
    (dict(shape=(2, 4096)), "at most 4095"),
    (dict(scale=2.0 ** -26), "too small"),
])
def test_log_softmax_refusals(tmp_path, change, message):
    args = dict(shape=(2, 5), scale=0.1, zp=0, output=OUTPUT) | change
    path = log_softmax_model(tmp_path / "m.tflite", **args)
    with pytest.raises(TinygenError, match=rf"\(LOG_SOFTMAX .*{message}"):
        compile_model(path, REFERENCE)


def test_log_softmax_refuses_uint8(tmp_path):
    path = single_op_model(tmp_path / "m.tflite", "LOG_SOFTMAX", [Spec((2, 5), "uint8", 0.1, 128)],
                           Spec((2, 5), "uint8", 16 / 256, 255))
    with pytest.raises(TinygenError, match=r"\(LOG_SOFTMAX .*int8 only"):
        compile_model(path, REFERENCE)


def test_log_softmax_on_an_emulated_cortex_m7(tmp_path):
    """The generated code built for the Cortex-M7 and run in QEMU, with the default kernels."""
    for tool in ("arm-none-eabi-gcc", "qemu-system-arm"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed")
    from tinygen.boards import get_board
    from tinygen.options import DEFAULT

    path = log_softmax_model(tmp_path / "m.tflite", (4, 37), 0.07, 11)
    report = validate(path, compile_model(path, DEFAULT, get_board("qemu_mps2_an500")), samples=3)
    assert report.max_abs_diff == 0, report
