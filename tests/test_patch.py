"""Patch-based inference: tiles of any stage length and grid are bit-exact with TFLite Micro."""
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from keras_util import keras_model, quantize, tf
from memory_planner.patches import Window, regions, tiles
from tinygen.compiler import compile_model
from tinygen.inputs import random_inputs
from tinygen.oracle import run_tflm
from tinygen.validate import build_host, compare, run_host


def assert_exact(path: Path, program, samples: int = 4):
    inputs = random_inputs(program.graph, samples, seed=1)
    with tempfile.TemporaryDirectory() as tmp:
        ours = run_host(build_host(program, Path(tmp)), program, inputs)
    reference = run_tflm(path, inputs, len(program.graph.outputs))
    assert all(o.max_abs_diff == 0 for o in compare(program, ours, reference))


def test_tiles_cover_the_output_once():
    grid = tiles(7, 5, 3)
    covered = [(y, x) for y0, y1, x0, x1 in grid for y in range(y0, y1) for x in range(x0, x1)]
    assert sorted(covered) == [(y, x) for y in range(7) for x in range(5)]


def test_receptive_field_walks_back_through_strides_and_padding():
    conv = Window((9, 9), kernel=(3, 3), stride=(2, 2), pad=(1, 1))  # 9 -> 5
    pointwise = Window((5, 5))
    assert regions([conv, pointwise], (0, 2, 3, 5)) == [(0, 4, 5, 9), (0, 2, 3, 5), (0, 2, 3, 5)]


@st.composite
def stems(draw):
    return dict(k1=draw(st.sampled_from([1, 3, 5])), s1=draw(st.sampled_from([1, 2])),
                k2=draw(st.sampled_from([3, 5])), s2=draw(st.sampled_from([1, 2])),
                dilation=draw(st.sampled_from([1, 2])), padding=draw(st.sampled_from(["same", "valid"])),
                pool=draw(st.booleans()), size=draw(st.integers(17, 30)), seed=draw(st.integers(0, 50)))


@settings(max_examples=5, deadline=None, suppress_health_check=list(HealthCheck))
@given(stems(), st.data())
def test_forced_stages_are_bit_exact(tmp_path_factory, s, data):
    L = tf().keras.layers
    dilation = s["dilation"] if s["s2"] == 1 else 1

    def build(x):
        x = L.Conv2D(6, s["k1"], strides=s["s1"], padding=s["padding"], activation="relu")(x)
        x = L.DepthwiseConv2D(s["k2"], strides=s["s2"], padding="same", dilation_rate=dilation, activation="relu6")(x)
        x = L.Conv2D(12, 1)(x)
        if s["pool"]:
            x = L.MaxPooling2D(2, padding="same")(x)
        x = L.DepthwiseConv2D(3, padding="same")(x)
        return L.Dense(3)(L.GlobalAveragePooling2D()(x))

    path = quantize(keras_model(build, [(s["size"], s["size"], 3)]), tmp_path_factory.mktemp("p") / "m.tflite",
                    seed=s["seed"])
    length = data.draw(st.integers(1, 5 if s["pool"] else 4))
    n = data.draw(st.integers(2, 5))
    program = compile_model(path, patch=(length, n))
    assert program.patch["tiles"] == n and len(program.patch["ops"]) == length
    assert_exact(path, program)
    assert_exact(path, compile_model(path, patch="auto", max_mac_overhead=1.0))
