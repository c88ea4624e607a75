"""SVDF: one-op models written with the schema classes (the converter never emits an int8 SVDF),
run as sequences of invokes through one model instance so that the state is compared too."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tinygen.compiler import compile_model
from tinygen.errors import TinygenError
from tinygen.options import REFERENCE
from tinygen.validate import validate
from helpers import SOME, Spec, single_op_model, svdf_model


@SOME
@given(batches=st.integers(1, 2), input_size=st.integers(1, 12), units=st.integers(1, 5), rank=st.integers(1, 3),
       memory=st.integers(1, 8), state_dtype=st.sampled_from(["int16", "int8"]), seed=st.integers(0, 99),
       input_zp=st.integers(-20, 20))
def test_svdf_sequences(tmp_path_factory, batches, input_size, units, rank, memory, state_dtype, seed, input_zp):
    """Two sequences of 6 invokes, each from the reset state, every step compared with TFLM."""
    state_zp = -7 if state_dtype == "int8" else 0
    path = svdf_model(tmp_path_factory.mktemp("svdf") / "m.tflite", batches, input_size, units, rank, memory,
                      state_dtype, seed, input_zp, state_zp)
    report = validate(path, compile_model(path, REFERENCE), samples=12, seed=seed, steps=6)
    assert report.max_abs_diff == 0, report
    assert (report.sequences, report.steps) == (2, 6)
    assert report.state_bytes >= batches * units * rank * memory * (2 if state_dtype == "int16" else 1)


def test_svdf_outputs_depend_on_earlier_invokes(tmp_path):
    """The same input gives other outputs later in a sequence: the state is really carried (a
    kernel that forgot it between invokes would fail the sequence comparison above)."""
    from tinygen.validate import build_host, run_host

    path = svdf_model(tmp_path / "m.tflite", memory=5, seed=4)
    program = compile_model(path, REFERENCE)
    x = np.full((1, 6), 40, np.int8)
    outputs = run_host(build_host(program, tmp_path / "build"), program, [[x]] * 4)
    assert len({o[0].tobytes() for o in outputs}) > 1, outputs


def test_svdf_int8_state_resets_to_its_zero_point(tmp_path):
    """TFLM resets an int8 variable to its zero point: tinygen_reset() and start-up must too."""
    path = svdf_model(tmp_path / "m.tflite", state_dtype="int8", state_zp=-100, seed=2)
    report = validate(path, compile_model(path, REFERENCE), samples=9, steps=3)
    assert report.max_abs_diff == 0, report


def test_svdf_state_must_be_variable(tmp_path):
    path = svdf_model(tmp_path / "m.tflite", variable=False)
    with pytest.raises(TinygenError, match="must be a variable tensor"):
        compile_model(path, REFERENCE)


def test_svdf_state_and_time_weights_of_one_type(tmp_path):
    rng = np.random.default_rng(0)
    path = single_op_model(tmp_path / "m.tflite", "SVDF", [
        Spec((1, 4), "int8", 0.1, 0), Spec((2, 4), "int8", 0.1, 0, rng.integers(-9, 9, (2, 4))),
        Spec((2, 3), "int8", 0.1, 0, rng.integers(-9, 9, (2, 3))), Spec((2,), "int32", 0.01, 0, np.zeros(2)),
        Spec((1, 6), "int16", 0.1, 0, variable=True)], Spec((1, 2), "int8", 0.1, 0), rank=1)
    with pytest.raises(TinygenError, match="both be int16 or both int8"):
        compile_model(path, REFERENCE)
