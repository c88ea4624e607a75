"""The LSTM and SVDF models of TFLite Micro's own repository (TINYGEN_TFLM_MODELS): bit-exact on
the host over sequences of invokes through one model instance, their state counted by simulate."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import TFLM_STATEFUL_MODELS, compiled, run_cli, tflm_model_or_skip
from tinygen.simulate import simulate


@pytest.mark.parametrize("relative", TFLM_STATEFUL_MODELS, ids=lambda r: Path(r).stem)
def test_stateful_model_is_bit_exact_over_sequences(relative):
    model = tflm_model_or_skip(relative)
    result = subprocess.run([sys.executable, "-m", "tinygen", "validate", str(model), "--samples", "24",
                             "--steps", "12", "--json"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr or result.stdout
    report = json.loads(result.stdout)
    assert (report["samples"], report["steps"], report["sequences"]) == (24, 12, 2)
    assert report["max_abs_diff"] == 0 and report["state_bytes"] > 0


@pytest.mark.parametrize("relative", TFLM_STATEFUL_MODELS, ids=lambda r: Path(r).stem)
def test_simulate_counts_the_state(relative):
    model = tflm_model_or_skip(relative)
    program = compiled(model)
    report = simulate(model, program)
    variables = {t.name: t.nbytes for t in program.state}
    assert report["persistent_state_bytes"] == program.state_bytes >= sum(variables.values()) > 0
    assert {s["name"]: s["bytes"] for s in report["persistent_state"]} == variables
    assert report["sram_bytes"] == report["peak_sram_bytes"] + program.state_bytes


def test_generate_and_simulate_show_the_state(tmp_path):
    model = tflm_model_or_skip(TFLM_STATEFUL_MODELS[3])
    result = run_cli("generate", model, "-o", tmp_path / "out")
    assert result.returncode == 0, result.stderr
    assert f"persistent state {compiled(model).state_bytes:,} bytes)" in result.stdout, result.stdout
    assert f"#define TINYGEN_STATE_BYTES {compiled(model).state_bytes}" in (tmp_path / "out" / "model.h").read_text()
    result = run_cli("simulate", model)
    assert result.returncode == 0, result.stderr
    assert f"persistent state {compiled(model).state_bytes:>7,} bytes outside the arena" in result.stdout, result.stdout
    result = run_cli("simulate", model, "--json")
    assert json.loads(result.stdout)["persistent_state_bytes"] == compiled(model).state_bytes


def test_the_float_lstm_is_refused_as_float():
    model = tflm_model_or_skip("tensorflow/lite/micro/examples/mnist_lstm/trained_lstm.tflite")
    result = run_cli("validate", model)
    assert result.returncode == 2 and "a float model" in result.stderr, result.stderr
