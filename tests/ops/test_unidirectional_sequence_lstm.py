"""UNIDIRECTIONAL_SEQUENCE_LSTM: one-op models written with the schema classes (every shape,
time major or not, cell clip, without TensorFlow) and LSTMs through TFLiteConverter, all
run as sequences of invokes so that the hidden and cell states are compared too."""
import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tinygen.compiler import compile_model
from tinygen.errors import TinygenError
from tinygen.options import REFERENCE
from tinygen.validate import validate
from helpers import REPO, SOME, Spec, fused_lstm_model, lstm_model, op_kinds, single_op_model

KERNEL = REPO / "tinygen" / "kernels" / "reference" / "unidirectional_sequence_lstm.c"


def assert_sequences_exact(path: Path, samples: int = 12, steps: int = 4, seed: int = 0):
    report = validate(path, compile_model(path, REFERENCE), samples=samples, seed=seed, steps=steps)
    assert report.max_abs_diff == 0, report
    assert report.steps == steps and report.state_bytes > 0
    return report


@SOME
@given(batches=st.integers(1, 3), steps=st.integers(1, 4), input_size=st.integers(1, 9), units=st.integers(1, 12),
       time_major=st.booleans(), cell_clip=st.sampled_from([0.0, 0.3, 3.0]), seed=st.integers(0, 99),
       cell_power=st.integers(-15, -9), zero_points=st.tuples(st.integers(-128, 127), st.integers(-128, 127)))
def test_lstm_sequences(tmp_path_factory, batches, steps, input_size, units, time_major, cell_clip, seed, cell_power,
                        zero_points):
    """Three sequences of 4 invokes, each from the reset state, every step compared with TFLM."""
    path = lstm_model(tmp_path_factory.mktemp("lstm") / "m.tflite", batches, steps, input_size, units, time_major,
                      cell_clip, seed, 2.0 ** cell_power, *zero_points)
    assert_sequences_exact(path, seed=seed)


@pytest.mark.parametrize("batches, steps, time_major, cell_clip, seed", [
    (1, 3, False, 0.0, 1), (2, 2, True, 0.4, 2), (2, 3, False, 2.0, 3), (1, 1, True, 0.0, 4)])
def test_lstm_16x8_sequences(tmp_path, batches, steps, time_major, cell_clip, seed):
    """TFLM's 16x8 LSTM: int16 input and hidden state, int64 biases, 64-bit accumulation."""
    path = lstm_model(tmp_path / "m.tflite", batches, steps, 6, 7, time_major, cell_clip, seed, input_dtype="int16")
    assert_sequences_exact(path, seed=seed)


def test_lstm_cell_scale_not_a_power_of_two(tmp_path):
    """TFLM rounds the cell scale's log2 for its tanh and does not refuse another scale."""
    assert_sequences_exact(lstm_model(tmp_path / "m.tflite", cell_scale=0.00037, seed=3))


def test_lstm_outputs_depend_on_earlier_invokes(tmp_path):
    """The same input gives other outputs in the next invoke: the state really is carried over."""
    from tinygen.validate import build_host, run_host

    path = lstm_model(tmp_path / "m.tflite", steps=1, seed=5)
    program = compile_model(path, REFERENCE)
    x = np.full((1, 1, 4), 90, np.int8)
    outputs = run_host(build_host(program, tmp_path / "build"), program, [[x]] * 4)
    assert len({o[0].tobytes() for o in outputs}) > 1, outputs


def test_sigmoid_table_is_tflms(tmp_path):
    """The kernel's table, entry by entry, as TFLM's int16 TANH reads it: on an input of scale
    just over 1/48, input k lands exactly on entry k (TANH = entry - 32768); the last entry shows
    only as the slope after entry 254, seen with scale 2^-12 where 21759 is 253/256 past it."""
    from tinygen.oracle import run_tflm

    table = [int(v) for v in re.search(r"tg_sigmoid_q16\[256\] = \{([^}]*)\}", KERNEL.read_text()).group(1).split(",")]
    grid = single_op_model(tmp_path / "grid.tflite", "TANH", [Spec((1, 255), "int16", float(np.float32(1 / 48)), 0)],
                           Spec((1, 255), "int16", 2.0 ** -15, 0))
    entries = run_tflm(grid, [[np.arange(255, dtype=np.int16).reshape(1, 255)]], 1)[0][0][0].astype(int) + 32768
    tail = single_op_model(tmp_path / "tail.tflite", "TANH", [Spec((1, 1), "int16", 2.0 ** -12, 0)],
                           Spec((1, 1), "int16", 2.0 ** -15, 0))
    slope = int(run_tflm(tail, [[np.array([[21759]], np.int16)]], 1)[0][0][0, 0]) + 32768 - entries[254]
    assert table == [*entries, entries[254] + slope]


@pytest.mark.parametrize("change, message", [
    (dict(peephole=True), "peephole weights is not supported"),
    (dict(variable=False), "must be a variable tensor"),
    (dict(activation="RELU"), "cell activation RELU is not supported"),
    (dict(input_dtype="int16", bias_dtype="int32"), "gate bias 12 must be a constant int64 tensor with int16 "
                                                    "activations"),
])
def test_lstm_refusals(tmp_path, change, message):
    with pytest.raises(TinygenError, match=re.escape(message)):
        compile_model(lstm_model(tmp_path / "m.tflite", **change), REFERENCE)


# --------------------------------------------------------------------------- converted LSTMs (TensorFlow)

@pytest.mark.slow
@pytest.mark.parametrize("time_steps, features, units, return_sequences, dense", [
    (6, 3, 8, True, None), (10, 5, 16, False, 4), (1, 2, 3, True, 2)])
def test_converted_lstm(tmp_path, time_steps, features, units, return_sequences, dense):
    """An LSTM int8-quantized by TFLiteConverter into UNIDIRECTIONAL_SEQUENCE_LSTM (the
    converter's Keras-LSTM fusion, tests/helpers.py), with a FULLY_CONNECTED after it or not."""
    path = fused_lstm_model(tmp_path / "lstm.tflite", time_steps, features, units, return_sequences, dense)
    assert "UNIDIRECTIONAL_SEQUENCE_LSTM" in op_kinds(path)
    assert_sequences_exact(path, samples=10, steps=5)
