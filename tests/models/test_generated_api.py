"""The generated C API on the real models: what invoke overwrites in each --io-buffers mode (as
model.h states it), what simulate counts, and two models linked into one host program."""
import json
import subprocess

import numpy as np
import pytest

from helpers import (STUBS, assert_side_by_side_exact, compiled, library_sources, run_cli, shared_or_skip,
                     side_by_side)
from tinygen.inputs import random_inputs
from tinygen.oracle import run_tflm
from tinygen.options import CompileOptions
from tinygen.toolchain import HOST_FLAGS, host_compiler

MODELS = ["mlperf_kws_dscnn_int8", "mlperf_vww_96_int8", "mlperf_ad_autoencoder_int8"]


def _invoke_twice(program, tmp_path, sample) -> tuple[list[str], bytes]:
    """tests/stubs/invoke_twice.c on one sample: what it says on stderr, and the outputs."""
    sources = library_sources(program, tmp_path)
    exe = tmp_path / "twice"
    subprocess.run([host_compiler(), *HOST_FLAGS, "-I", str(tmp_path), "-o", str(exe), str(STUBS / "invoke_twice.c"),
                    *map(str, sources), "-lm"], check=True)
    raw = b"".join(np.ascontiguousarray(x, dtype=t.dtype).tobytes() for x, t in zip(sample, program.graph.inputs))
    result = subprocess.run([str(exe)], input=raw, capture_output=True, check=True)
    return result.stderr.decode().split("\n")[:2], result.stdout


@pytest.mark.parametrize("name", MODELS)
def test_separate_io_buffers_survive_invoke(tmp_path, name):
    """--io-buffers separate: invoking twice without writing the input again leaves the input as it
    was and gives the same outputs, bit-exact with TFLite Micro."""
    path = shared_or_skip(f"models/{name}.tflite")
    program = compiled(path, CompileOptions(io_buffers="separate"))
    sample = random_inputs(program.graph, 1, seed=3)[0]
    said, outputs = _invoke_twice(program, tmp_path, sample)
    assert said == ["input kept", "outputs repeat"]
    expected = run_tflm(path, [sample], len(program.graph.outputs))[0]
    assert outputs == b"".join(np.asarray(y, dtype=t.dtype).tobytes() for y, t in zip(expected, program.graph.outputs))
    assert "invoke reads the inputs\n * and leaves them as they are" in (tmp_path / "model.h").read_text()


@pytest.mark.parametrize("name", MODELS)
def test_arena_io_buffers_are_overwritten_as_model_h_says(tmp_path, name):
    """--io-buffers arena (the default): whether invoke overwrites the input is what model.h says;
    on these models it does (kws: most of its input bytes are reused by later layers)."""
    path = shared_or_skip(f"models/{name}.tflite")
    program = compiled(path, CompileOptions())
    said, _ = _invoke_twice(program, tmp_path, random_inputs(program.graph, 1, seed=3)[0])
    assert program.overwritten_by_invoke(program.graph.inputs[0])
    assert said[0] == "input overwritten"
    assert "input 0: invoke overwrites it" in (tmp_path / "model.h").read_text()


def test_autoencoder_output_sharing_the_input_bytes_is_stated():
    """mlperf_ad_autoencoder's output lies over its input in the arena; with separate buffers not."""
    path = shared_or_skip("models/mlperf_ad_autoencoder_int8.tflite")
    arena, separate = (compiled(path, CompileOptions(io_buffers=mode)) for mode in ("arena", "separate"))
    assert arena.inputs_sharing_bytes(arena.graph.outputs[0]) == [0]
    assert separate.inputs_sharing_bytes(separate.graph.outputs[0]) == []


def test_simulate_counts_the_separate_io_buffers():
    path = shared_or_skip("models/mlperf_vww_96_int8.tflite")
    reports = {}
    for mode in ("arena", "separate"):
        result = run_cli("simulate", path, "--io-buffers", mode, "--json")
        assert result.returncode == 0, result.stderr
        reports[mode] = json.loads(result.stdout)
    arena, separate = reports["arena"], reports["separate"]
    program = compiled(path, CompileOptions(io_buffers="separate"))
    io_bytes = sum(t.nbytes for t in program.graph.inputs + program.graph.outputs)
    assert arena["io_buffer_bytes"] == 0 and arena["peak_sram_bytes"] == arena["arena_bytes"]
    assert separate["io_buffer_bytes"] == io_bytes
    assert separate["peak_sram_bytes"] == separate["arena_bytes"] + io_bytes == program.plan.arena_bytes + io_bytes
    text = run_cli("simulate", path, "--io-buffers", "separate").stdout
    assert f"input and output buffers {io_bytes:,} bytes" in text


@pytest.mark.parametrize("io_buffers, shared_arena", [("arena", False), ("separate", True)])
def test_two_models_in_one_host_program(tmp_path, io_buffers, shared_arena):
    """kws and vww generated with the prefixes a and b, linked into one program with
    tests/stubs/two_models.c, each bit-exact with TFLite Micro; with --io-buffers separate the two
    run in one caller's arena (the A_ARENA and B_ARENA macros), as large as the larger of theirs."""
    paths = {"a": shared_or_skip("models/mlperf_kws_dscnn_int8.tflite"),
             "b": shared_or_skip("models/mlperf_vww_96_int8.tflite")}
    programs = {name: compiled(path, CompileOptions(prefix=name, io_buffers=io_buffers))
                for name, path in paths.items()}
    sources = [c for name, program in programs.items() for c in library_sources(program, tmp_path / name)]
    defines = ["-DSHARED_ARENA", "-DA_ARENA=shared_arena", "-DB_ARENA=shared_arena"] if shared_arena else []
    exe = tmp_path / "two_models"
    subprocess.run([host_compiler(), *HOST_FLAGS, *defines, "-I", str(tmp_path), "-o", str(exe),
                    str(STUBS / "two_models.c"), *map(str, sources), "-lm"], check=True)
    samples = {name: random_inputs(program.graph, 3, seed=5) for name, program in programs.items()}
    result = subprocess.run([str(exe)], input=side_by_side(programs, samples), capture_output=True, check=True)
    assert_side_by_side_exact(result.stdout, programs, paths, samples)
    if shared_arena:
        symbols = subprocess.run(["nm", str(exe)], capture_output=True, text=True, check=True).stdout
        assert " shared_arena" in symbols and "a_arena" not in symbols and "b_arena" not in symbols
