"""Patch-based inference: every stage shape bit-exact with TFLite Micro, and the arena shrinks.

Stage shapes: chains of windows (any length and grid), the input QUANTIZE from float32 and from
uint8, residual ADDs and concatenations of branches inside the stage, unfoldable PADs,
elementwise ops with constants, m x n grids and two consecutive stages; `--io int8` on models
with float and uint8 inputs. Each check runs the generated C on the host against TFLM.
"""
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from helpers import keras_model, quantize, tf
from tinygen.memory.patches import Window, needed_intervals, tiles
from tinygen.compiler import compile_model
from tinygen.errors import TinygenError
from tinygen.options import CompileOptions
from tinygen.frontend import load_model
from tinygen.inputs import random_inputs
from tinygen.oracle import run_tflm
from tinygen.passes import run_passes
from tinygen.passes.int8_io import to_model_outputs, to_program_inputs
from tinygen.patch import stage_graphs, tile_geometry
from tinygen.validate import build_host, compare, run_host


def assert_exact(path: Path, program, samples: int = 4):
    inputs = random_inputs(program.graph, samples, seed=1)
    fed = [to_program_inputs(program.graph, sample) for sample in inputs]
    with tempfile.TemporaryDirectory() as tmp:
        ours = run_host(build_host(program, Path(tmp)), program, fed)
    reference = run_tflm(path, inputs, len(program.graph.outputs))
    ours = [to_model_outputs(program.graph, sample) for sample in ours]
    assert all(o.max_abs_diff == 0 for o in compare(program, ours, reference))


def stage_kinds(program) -> list[list[str]]:
    return [stage["op_kinds"] for stage in program.patch["stages"]] if program.patch else []


def test_tiles_cover_the_output_once():
    grid = tiles(7, 5, 3, 2)
    covered = [(y, x) for y0, y1, x0, x1 in grid for y in range(y0, y1) for x in range(x0, x1)]
    assert sorted(covered) == [(y, x) for y in range(7) for x in range(5)]
    assert len(tiles(7, 5, 3)) == 9


def test_receptive_field_walks_back_along_every_branch():
    conv = Window((9, 9), kernel=(3, 3), stride=(2, 2), pad=(1, 1))  # 9 -> 5
    pointwise = Window((5, 5))
    # a -> conv -> b -> pointwise -> c, and c = add(b, ...) reads b again pixel for pixel
    ops = [("b", [("a", conv)]), ("c", [("b", pointwise)]), ("d", [("c", pointwise), ("b", pointwise)])]
    needed = needed_intervals(ops, "d", 0, (0, 2))
    assert needed == {"d": (0, 2), "c": (0, 2), "b": (0, 2), "a": (0, 4)}
    assert needed_intervals(ops, "d", 1, (3, 5))["a"] == (5, 9)


def _skip_block(x, channels: int, expand: int = 3):
    """A MobileNetV2 inverted-residual block whose skip starts inside the stage."""
    L = tf().keras.layers
    h = L.Conv2D(channels * expand, 1, activation="relu6")(x)
    h = L.DepthwiseConv2D(3, padding="same", activation="relu6")(h)
    h = L.Conv2D(channels, 1)(h)
    return L.Add()([x, h])


def _stem(x, channels: int = 8):
    return tf().keras.layers.Conv2D(channels, 3, padding="same", activation="relu")(x)


def _head(x):
    L = tf().keras.layers
    x = L.Conv2D(16, 3, strides=2, padding="same", activation="relu")(x)
    x = L.Conv2D(16, 3, strides=2, padding="same", activation="relu")(x)
    return L.Dense(3)(L.GlobalAveragePooling2D()(x))


def _residual_model(x):
    return _head(_skip_block(_stem(x), 8))


def _concat_model(x):
    L = tf().keras.layers
    x = _stem(x)
    a = L.Conv2D(8, 1, activation="relu")(x)
    b = L.DepthwiseConv2D(3, padding="same", activation="relu")(x)
    return _head(L.Concatenate()([a, b]))


def _pad_and_constant_model(x):
    L = tf().keras.layers
    x = _stem(x)
    x = L.ZeroPadding2D(((1, 0), (0, 1)))(x)  # before a pool: not folded into a convolution
    x = L.AveragePooling2D(2, strides=1)(x)
    x = tf().keras.layers.Lambda(lambda t: t * np.linspace(0.5, 1.5, 8).astype(np.float32) + 0.25)(x)
    return _head(x)


def _chain_model(x):
    L = tf().keras.layers
    x = _stem(x)
    x = L.DepthwiseConv2D(3, padding="same", activation="relu6")(x)
    x = L.Conv2D(16, 1, activation="relu")(x)
    return _head(x)


SHAPES = {
    "residual ADD inside the stage": (_residual_model, "int8", "ADD"),
    "concatenation inside the stage": (_concat_model, "int8", "CONCATENATION"),
    "PAD and constant operands inside the stage": (_pad_and_constant_model, "int8", "PAD"),
    "QUANTIZE lead-in from float32": (_residual_model, "float32", "QUANTIZE"),
    "QUANTIZE lead-in from uint8": (_residual_model, "uint8", "QUANTIZE"),
}


@pytest.mark.slow
@pytest.mark.parametrize("shape", SHAPES)
def test_stage_shape_is_bit_exact_and_shrinks_the_arena(tmp_path, shape):
    build, io_dtype, kind = SHAPES[shape]
    path = quantize(keras_model(build, [(40, 40, 3)]), tmp_path / "m.tflite", io_dtype=io_dtype)
    off = compile_model(path, CompileOptions(patch="off"))
    auto = compile_model(path, CompileOptions(max_mac_overhead=1.0))
    assert auto.patch is not None, auto.patch_note
    assert kind in stage_kinds(auto)[0], stage_kinds(auto)
    assert auto.plan.arena_bytes < off.plan.arena_bytes
    assert_exact(path, auto)
    reference = compile_model(path, CompileOptions(kernels="reference", max_mac_overhead=1.0))  # the reference kernels tile too
    assert reference.patch is not None
    assert_exact(path, reference)


@pytest.mark.slow
def test_rows_only_and_columns_only_grids_are_bit_exact(tmp_path):
    path = quantize(keras_model(_residual_model, [(24, 40, 3)]), tmp_path / "m.tflite")
    graph = run_passes(load_model(path))
    length = max(len(sub.ops) for sub in stage_graphs(graph, graph.inputs[0]))
    for grid in ((4, 1), (1, 3), (3, 5)):
        program = compile_model(path, CompileOptions(patch=(length, grid)))
        assert program.patch["stages"][0]["tiles"] == list(grid)
        assert_exact(path, program)


@pytest.mark.slow
def test_two_consecutive_stages_are_bit_exact(tmp_path):
    """A second stage starts at the first one's output where that lowers the peak further."""
    def build(x):
        L = tf().keras.layers
        x = L.Conv2D(8, 3, strides=2, padding="same", activation="relu")(x)
        x = _skip_block(x, 8)
        for channels in (16, 24):
            x = L.Conv2D(channels * 3 // 2, 1, activation="relu6")(x)
            x = L.DepthwiseConv2D(3, strides=2, padding="same", activation="relu6")(x)
            x = _skip_block(L.Conv2D(channels, 1)(x), channels)
        return L.Dense(3)(L.GlobalAveragePooling2D()(L.Conv2D(32, 1)(x)))

    path = quantize(keras_model(build, [(96, 96, 3)]), tmp_path / "m.tflite", io_dtype="float32")
    smallest = CompileOptions(io="int8", optimize="memory")  # the stage search alone sets the arena
    program = compile_model(path, smallest)
    assert len(program.patch["stages"]) == 2, program.patch
    assert program.patch["stages"][1]["stage_input"] == program.patch["stages"][0]["stage_output"]
    assert program.plan.arena_bytes < compile_model(path, smallest.but(max_mac_overhead=0.1)).plan.arena_bytes
    assert_exact(path, program)


@pytest.mark.slow
@pytest.mark.parametrize("io_dtype", ["float32", "uint8"])
def test_int8_io_drops_the_boundary_ops_and_stays_bit_exact(tmp_path, io_dtype):
    path = quantize(keras_model(_chain_model, [(24, 24, 3)]), tmp_path / "m.tflite", io_dtype=io_dtype)
    model = compile_model(path, CompileOptions(patch="off"))
    int8 = compile_model(path, CompileOptions(patch="off", io="int8"))
    kinds = [op.kind for op in int8.graph.ops]
    assert "QUANTIZE" not in kinds and "DEQUANTIZE" not in kinds
    assert [t.dtype for t in int8.graph.inputs + int8.graph.outputs] == ["int8", "int8"]
    assert int8.plan.arena_bytes <= model.plan.arena_bytes
    assert int8.graph.inputs[0].nbytes * (4 if io_dtype == "float32" else 1) == model.graph.inputs[0].nbytes
    assert_exact(path, int8)


@st.composite
def stems(draw):
    return dict(k1=draw(st.sampled_from([1, 3, 5])), s1=draw(st.sampled_from([1, 2])),
                k2=draw(st.sampled_from([3, 5])), s2=draw(st.sampled_from([1, 2])),
                dilation=draw(st.sampled_from([1, 2])), padding=draw(st.sampled_from(["same", "valid"])),
                pool=draw(st.booleans()), size=draw(st.integers(17, 30)), seed=draw(st.integers(0, 50)))


@pytest.mark.slow
@settings(max_examples=5, deadline=None, suppress_health_check=list(HealthCheck))
@given(stems(), st.data())
def test_forced_chain_stages_are_bit_exact(tmp_path_factory, s, data):
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
    grid = (data.draw(st.integers(1, 5)), data.draw(st.integers(2, 5)))
    try:
        program = compile_model(path, CompileOptions(patch=(length, grid), kernels="reference"))
    except TinygenError as e:
        assume("without input" not in str(e))  # a forced grid finer than the stage's output: refused
        raise
    assert program.patch["stages"][0]["tiles"] == list(grid) and len(program.patch["ops"]) == length
    assert_exact(path, program)
    assert_exact(path, compile_model(path, CompileOptions(kernels="reference", max_mac_overhead=1.0)))


@st.composite
def networks(draw):
    """Random small DAGs at high resolution: residual blocks, concatenations, pools and PADs."""
    blocks = draw(st.lists(st.sampled_from(["residual", "concat", "pool", "pad", "stride"]), min_size=1, max_size=3))
    return dict(blocks=blocks, size=draw(st.integers(20, 33)), channels=draw(st.sampled_from([4, 8])),
                io=draw(st.sampled_from(["int8", "float32"])), seed=draw(st.integers(0, 20)))


@pytest.mark.slow
@settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck))
@given(networks())
def test_random_networks_with_branches_are_bit_exact(tmp_path_factory, net):
    L = tf().keras.layers

    def build(x):
        x = _stem(x, net["channels"])
        for block in net["blocks"]:
            if block == "residual":
                x = _skip_block(x, x.shape[-1], 2)
            elif block == "concat":
                x = L.Concatenate()([L.Conv2D(4, 1, activation="relu")(x), L.MaxPooling2D(3, 1, padding="same")(x)])
            elif block == "pool":
                x = L.AveragePooling2D(2, padding="same")(x)
            elif block == "pad":
                x = L.MaxPooling2D(2, strides=1)(L.ZeroPadding2D(((0, 1), (1, 0)))(x))
            else:
                x = L.DepthwiseConv2D(3, strides=2, padding="same", activation="relu6")(x)
        return _head(x)

    path = quantize(keras_model(build, [(net["size"], net["size"], 3)]), tmp_path_factory.mktemp("n") / "m.tflite",
                    io_dtype=net["io"], seed=net["seed"])
    for io in ("model", "int8"):
        program = compile_model(path, CompileOptions(max_mac_overhead=1.0, io=io))
        assert_exact(path, program, samples=3)


def test_tile_buffers_hold_every_region_the_tile_needs():
    path = Path(__file__).resolve().parents[2] / "examples" / "models" / "tiny_cnn_int8.tflite"
    graph = run_passes(load_model(path))
    sub = stage_graphs(graph, graph.inputs[0])[-1]
    geometry = tile_geometry(sub, (2, 2))
    assert len(geometry) == 4
    for tile in geometry:
        assert all(tile.buffers[key][0] <= region[0] and region[1] <= tile.buffers[key][1]
                   for key, region in tile.needed.items())
