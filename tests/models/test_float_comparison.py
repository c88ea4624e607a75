"""`validate --float-model`: a Keras classifier trained here, its float and int8 TFLite models, and
the quantization error and accuracies that validate reports for them, checked against the same
figures computed here from TFLite Micro's own outputs."""
import json

import numpy as np
import pytest

from helpers import quantize, run_cli, tf
from tinygen.frontend import load_model
from tinygen.oracle import run_tflm

pytestmark = pytest.mark.slow
SHAPE = (8, 8, 1)


def two_blobs(rng, count: int) -> tuple[np.ndarray, np.ndarray]:
    """Images whose class is the sign of their mean brightness."""
    y = rng.integers(0, 2, count)
    x = rng.normal(0, 0.35, (count, *SHAPE)) + np.where(y == 1, 0.5, -0.5)[:, None, None, None]
    return np.clip(x, -1.5, 1.5).astype(np.float32), y


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    tensorflow = tf()
    tmp = tmp_path_factory.mktemp("float_comparison")
    rng = np.random.default_rng(3)
    tensorflow.keras.utils.set_random_seed(3)
    x, y = two_blobs(rng, 256)
    L = tensorflow.keras.layers
    model = tensorflow.keras.Sequential([tensorflow.keras.Input(SHAPE), L.Conv2D(4, 3, activation="relu"),
                                         L.GlobalAveragePooling2D(), L.Dense(2), L.Softmax()])
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(x, y, epochs=30, verbose=0)
    float_model = tmp / "float.tflite"
    float_model.write_bytes(tensorflow.lite.TFLiteConverter.from_keras_model(model).convert())
    int8_model = quantize(model, tmp / "int8.tflite", [(1, *SHAPE)], low=-1.5, high=1.5)
    test_x, test_y = two_blobs(rng, 40)
    np.savez(tmp / "data.npz", x=test_x, y=test_y)
    return float_model, int8_model, tmp / "data.npz", test_x, test_y


def expected_figures(float_model, int8_model, x, y) -> dict:
    """The same comparison from TFLite Micro's outputs for both models (the generated code is
    bit-exact with the int8 one)."""
    t_in, t_out = load_model(int8_model).inputs[0], load_model(int8_model).outputs[0]
    q = np.clip(np.round(x / float(t_in.quant.s)) + t_in.quant.zp, -128, 127).astype(np.int8)
    ours = np.array([o[0] for o in run_tflm(int8_model, [[s[None]] for s in q], 1)], np.float64)
    ours = (ours - t_out.quant.zp) * float(t_out.quant.s)
    theirs = np.array([o[0] for o in run_tflm(float_model, [[s[None]] for s in x], 1)], np.float64)
    diff = (ours - theirs).ravel()
    return {"rmse": np.sqrt(np.mean(diff ** 2)), "mae": np.mean(np.abs(diff)),
            "l2r": np.linalg.norm(diff) / np.linalg.norm(theirs),
            "cosine": ours.ravel() @ theirs.ravel() / (np.linalg.norm(ours) * np.linalg.norm(theirs)),
            "accuracy": np.mean(ours.reshape(len(x), -1).argmax(1) == y),
            "float_accuracy": np.mean(theirs.reshape(len(x), -1).argmax(1) == y)}


def test_validate_reports_the_quantization_error_and_both_accuracies(trained):
    float_model, int8_model, data, x, y = trained
    result = run_cli("validate", int8_model, "--float-model", float_model, "--data", data, "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["max_abs_diff"] == 0 and report["samples"] == len(x)
    comparison = report["float_comparison"]
    [output] = comparison["outputs"]
    expected = expected_figures(float_model, int8_model, x, y)
    for key in ("rmse", "mae", "l2r", "cosine"):
        assert output[key] == pytest.approx(expected[key], rel=1e-6, abs=1e-12), key
    assert 0 < output["mae"] <= output["rmse"] and output["cosine"] > 0.95
    assert comparison["labelled"] == len(y)
    assert comparison["accuracy"] == pytest.approx(expected["accuracy"])
    assert comparison["float_accuracy"] == pytest.approx(expected["float_accuracy"]) and expected["float_accuracy"] > 0.9


def test_validate_prints_the_comparison_as_a_table(trained):
    float_model, int8_model, data, _, _ = trained
    result = run_cli("validate", int8_model, "--float-model", float_model, "--data", data)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert any(line.split() == ["output", "rmse", "mae", "l2r", "cosine"] for line in lines), result.stdout
    assert any("accuracy on 40 labelled inputs: generated code" in line for line in lines), result.stdout


def test_random_real_inputs_without_data(trained):
    float_model, int8_model, _, _, _ = trained
    result = run_cli("validate", int8_model, "--float-model", float_model, "--samples", "5", "--json")
    assert result.returncode == 0, result.stderr
    comparison = json.loads(result.stdout)["float_comparison"]
    assert comparison["samples"] == 5 and comparison["accuracy"] is None


@pytest.mark.parametrize("args, words", [
    (("--data", "DATA"), "--data gives the inputs of --float-model"),
    (("--float-model", "INT8", "--input", "DATA"), "give real values with --data"),
])
def test_options_that_do_not_go_together(trained, args, words):
    float_model, int8_model, data, _, _ = trained
    names = {"DATA": data, "INT8": int8_model}
    result = run_cli("validate", int8_model, *(names.get(a, a) for a in args))
    assert result.returncode == 2 and words in result.stderr and "Traceback" not in result.stderr
