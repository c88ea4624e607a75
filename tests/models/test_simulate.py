"""`tinygen simulate`: the JSON report, peak = the planned arena, fit against a board, flash, the plot,
and the memory benchmark script."""
import json
import os
import shutil
import struct
import subprocess
import sys

import pytest

from helpers import EXAMPLE, REPO, SHARED_MODELS, run_cli, shared_or_skip
from tinygen import simulate as sim
from tinygen.boards import Board, get_board, parse_board
from tinygen.compiler import compile_model
from tinygen.options import CompileOptions, DEFAULT, REFERENCE, SMALLEST_ARENA



def simulated(model, board, patch: str) -> dict:
    """What `tinygen simulate --kernels reference --patch PATCH --board BOARD` reports."""
    target = board if isinstance(board, Board) else get_board(board or "host")
    return sim.simulate(model, compile_model(model, REFERENCE.but(patch=patch), target))


def tiny_board(sram: int, flash: int, reserve_ram: int = 0, reserve_flash: int = 0):
    return parse_board({"name": "tiny", "description": "a board too small for most models", "mcu": "X",
                        "core": "cortex-m4", "fpu": "sp", "dsp": True, "clock_hz": 48_000_000,
                        "sram_regions": [{"name": "SRAM", "origin": "0x20000000", "bytes": sram,
                                          "usable_for_arena": True}],
                        "flash": {"origin": "0x08000000", "bytes": flash}, "platformio": None, "emulator": None,
                        "link": {"ram": {"region": "SRAM", "origin": "0x20000000", "bytes": sram},
                                 "flash": {"origin": "0x08000000", "bytes": flash},
                                 "reserve": {"ram_bytes": reserve_ram, "flash_bytes": reserve_flash, "why": "test"}}})


def test_json_report_keys_and_types():
    result = run_cli("simulate", EXAMPLE, "--board", "nucleo_f411re", "--json")
    assert result.returncode == 0, result.stderr
    r = json.loads(result.stdout)
    types = {"model": str, "board": str, "peak_sram_bytes": int, "lower_bound_bytes": int, "flash_bytes": int,
             "fits": bool, "layers": list, "flash_is_estimate": bool, "sram_limit_bytes": int,
             "flash_limit_bytes": int, "sram_margin_bytes": int, "flash_margin_bytes": int,
             "sram_margin_pct": float, "flash_margin_pct": float}
    for key, kind in types.items():
        assert isinstance(r[key], kind) and not (kind is int and isinstance(r[key], bool)), (key, r[key])
    assert "patch" in r and (r["patch"] is None or isinstance(r["patch"], dict))
    assert r["board"] == "nucleo_f411re" and r["sram_limit_bytes"] == 128 * 1024
    assert r["fits"] is True and r["lower_bound_bytes"] <= r["peak_sram_bytes"]
    program = compile_model(EXAMPLE, DEFAULT, get_board("nucleo_f411re"))
    assert r["peak_sram_bytes"] == program.plan.arena_bytes
    assert len(r["layers"]) == len(program.steps)
    for layer in r["layers"]:
        assert {"step", "op", "output_shape", "macs", "live_bytes", "arena_bytes", "patch_stage"} <= set(layer)
        assert 0 <= layer["arena_bytes"] <= r["peak_sram_bytes"]
    assert max(layer["arena_bytes"] for layer in r["layers"]) <= r["peak_sram_bytes"]
    reserve, sample = r["reserve"], r["sample_input_bytes"]
    assert sample == program.graph.inputs[0].nbytes  # a PlatformIO project holds one sample input
    assert r["sram_margin_bytes"] == r["sram_limit_bytes"] - r["peak_sram_bytes"] - reserve["ram_bytes"]
    assert r["flash_margin_bytes"] == r["flash_limit_bytes"] - r["flash_bytes"] - sample - reserve["flash_bytes"]


def test_table_output():
    result = run_cli("simulate", EXAMPLE, "--board", "nucleo_l476rg", "--patch", "off")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "<- peak" in out and "peak SRAM" in out and "lower bound" in out
    assert "SRAM limit" in out and "flash limit" in out and "fits nucleo_l476rg" in out


def test_without_a_board_the_host_has_no_limits():
    result = run_cli("simulate", EXAMPLE, "--json")
    assert result.returncode == 0, result.stderr
    r = json.loads(result.stdout)
    assert r["board"] == "host" and r["fits"] is True
    assert r["sram_limit_bytes"] is None and r["flash_limit_bytes"] is None
    assert "no SRAM or flash limit" in r["fit_note"]
    assert "no SRAM or flash limit" in run_cli("simulate", EXAMPLE).stdout


def test_unknown_board_is_one_line_and_exit_2():
    result = run_cli("simulate", EXAMPLE, "--board", "esp32")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr
    assert lines[0].startswith("tinygen: error: unknown board 'esp32'; known boards: ")
    assert "nucleo_f411re" in lines[0] and "qemu_mps2_an386" in lines[0]
    assert result.stdout == ""


def test_bad_options_exit_2():
    assert run_cli("simulate", EXAMPLE, "--patch", "sometimes").returncode == 2
    assert run_cli("simulate", EXAMPLE, "--max-mac-overhead", "-1").returncode == 2
    missing = run_cli("simulate", REPO / "nope.tflite")
    assert missing.returncode == 2 and "nope.tflite" in missing.stderr


@pytest.mark.parametrize("patch", ["off", "auto"])
def test_peak_is_the_planned_arena_on_every_shared_model(patch):
    if not SHARED_MODELS:
        shared_or_skip("models")
    for model in SHARED_MODELS:
        program = compile_model(model, CompileOptions(patch=patch, kernels="reference"))
        peak, step = sim.peak(program)
        assert peak == program.plan.arena_bytes, model.name
        assert -1 <= step <= len(program.steps)
        assert program.plan.lower_bound_bytes <= peak


def test_optimize_speed_keeps_the_fastest_kernels_at_the_peak():
    """--optimize memory gives up speed at the peak's layers where that shrinks the arena;
    --optimize speed does not; auto (the default) is speed where speed fits the board."""
    model = shared_or_skip("models/mlperf_ic_resnet8_int8.tflite")
    peaks = {}
    for optimize in ("memory", "speed", "auto"):
        result = run_cli("simulate", model, "--board", "qemu_mps2_an500", "--patch", "off", "--optimize", optimize, "--json")
        assert result.returncode == 0, result.stderr
        peaks[optimize] = json.loads(result.stdout)["peak_sram_bytes"]
    board = get_board("qemu_mps2_an500")
    fastest = compile_model(model, CompileOptions(patch="off", optimize="speed"), board)
    assert peaks["speed"] == peaks["auto"] == fastest.plan.arena_bytes > peaks["memory"]


def kernels_of(program) -> list[str]:
    """Each call's function and parameters: leaner variants of a kernel differ in either."""
    return [f"{step.call.function}{step.call.args[0]}" for step in program.steps if step.call.kind == "call"]


def test_optimize_auto_takes_leaner_kernels_only_until_the_arena_fits():
    """On a board whose SRAM holds memory's arena but not speed's, auto fits it, with no more
    of the leaner kernels than that takes."""
    model = shared_or_skip("models/mlperf_ic_resnet8_int8.tflite")
    speed, memory = (compile_model(model, CompileOptions(patch="off", optimize=o), get_board("qemu_mps2_an500"))
                     for o in ("speed", "memory"))
    assert memory.plan.arena_bytes < speed.plan.arena_bytes
    board = tiny_board(speed.plan.arena_bytes - 1, 1 << 22)
    auto = compile_model(model, CompileOptions(patch="off"), board)
    assert memory.plan.arena_bytes <= auto.plan.arena_bytes < speed.plan.arena_bytes
    changed = lambda program: sum(a != b for a, b in zip(kernels_of(program), kernels_of(speed)))
    assert 0 < changed(auto) <= changed(memory)
    on_host = compile_model(model, CompileOptions(patch="off"))
    assert kernels_of(on_host) == kernels_of(compile_model(model, CompileOptions(patch="off", optimize="speed")))


def test_patch_mode_reports_its_stage():
    model = shared_or_skip("models/mlperf_vww_96_int8.tflite")
    off = simulated(model, "nucleo_f411re", "off")
    auto = simulated(model, "nucleo_f411re", "auto")
    assert off["patch"] is None and not any(layer["patch_stage"] for layer in off["layers"])
    assert auto["peak_sram_bytes"] < off["peak_sram_bytes"]
    assert {"stages", "ops", "mac_overhead"} <= set(auto["patch"]) and auto["patch_note"] is None
    assert 0 <= auto["patch"]["mac_overhead"] <= 0.2
    for stage in auto["patch"]["stages"]:
        assert {"ops", "tiles", "stage_input", "stage_output", "tile_buffer_bytes", "extra_macs"} <= set(stage)
    assert any(layer["patch_stage"] for layer in auto["layers"])
    json.dumps(auto)  # plain JSON all the way down


def test_table_says_which_tiles_or_why_no_stage():
    vww = run_cli("simulate", shared_or_skip("models/mlperf_vww_96_int8.tflite"), "--optimize", "memory")
    assert vww.returncode == 0 and "patch stage 1: ops 0-3 (4 ops) in 8x8 tiles" in vww.stdout
    speech = run_cli("simulate", shared_or_skip("models/tflm_micro_speech_int8.tflite"))
    assert "patch-based stage: none (no op that reads the model input can run tile by tile: it is read by RESHAPE)" \
        in speech.stdout
    kws = run_cli("simulate", shared_or_skip("models/mlperf_kws_dscnn_int8.tflite"), "--json")
    note = json.loads(kws.stdout)["patch_note"]
    assert note.startswith("the peak, at step 4 (CONV_2D), is not lowered by any patch stage"), note


def test_fit_logic():
    board = tiny_board(sram=16 * 1024, flash=64 * 1024)
    ok = sim.fit(16 * 1024, 64 * 1024, board)
    assert ok["fits"] and ok["sram_margin_bytes"] == 0 and ok["flash_margin_bytes"] == 0
    over_sram = sim.fit(16 * 1024 + 8, 1000, board)
    assert not over_sram["fits"] and not over_sram["sram_fits"] and over_sram["flash_fits"]
    assert over_sram["sram_margin_bytes"] == -8 and "SRAM by 8 bytes" in over_sram["fit_note"]
    over_flash = sim.fit(100, 64 * 1024 + 1, board)
    assert not over_flash["fits"] and over_flash["sram_fits"] and "flash by 1 bytes" in over_flash["fit_note"]
    assert sim.fit(100, 65 * 1024, board)["flash_margin_pct"] == pytest.approx(-100 / 64, abs=0.01)


def test_fit_counts_the_reserve_and_the_sample_input():
    board = tiny_board(sram=16 * 1024, flash=64 * 1024, reserve_ram=1024, reserve_flash=4096)
    assert sim.fit(15 * 1024, 60 * 1024, board)["fits"]
    over_sram = sim.fit(15 * 1024 + 1, 60 * 1024, board)
    assert not over_sram["sram_fits"] and over_sram["sram_margin_bytes"] == -1
    over_flash = sim.fit(1024, 60 * 1024, board, sample_bytes=1)
    assert over_flash["sram_fits"] and not over_flash["flash_fits"] and over_flash["flash_margin_bytes"] == -1
    assert "flash by 1 bytes" in over_flash["fit_note"]


def big_weights_model(path):
    """One FULLY_CONNECTED with 560,000 bytes of int8 weights: more flash than a nucleo_f411re has."""
    import numpy as np
    from helpers import Spec, single_op_model

    rng = np.random.default_rng(0)
    weights = Spec((700, 800), "int8", [0.01] * 700, data=rng.integers(-127, 128, (700, 800)).astype(np.int8))
    bias = Spec((700,), "int32", [0.0001] * 700, data=np.zeros(700, np.int32))
    return single_op_model(path, "FULLY_CONNECTED", [Spec((1, 800), scale=0.05, zp=3), weights, bias],
                           Spec((1, 700), scale=0.2, zp=-5))


def test_a_model_that_does_not_fit_exits_1_and_is_not_generated(tmp_path):
    model = big_weights_model(tmp_path / "big.tflite")
    result = run_cli("simulate", model, "--board", "nucleo_f411re")
    assert result.returncode == 1 and "does not fit nucleo_f411re: over flash by" in result.stdout
    out = tmp_path / "project"
    refused = run_cli("generate", model, "--board", "nucleo_f411re", "-o", out)
    assert refused.returncode == 1 and not out.exists()
    [line] = refused.stderr.strip().splitlines()
    assert "does not fit nucleo_f411re: over flash by" in line and "--force" in line
    forced = run_cli("generate", model, "--board", "nucleo_f411re", "-o", out, "--force")
    assert forced.returncode == 0, forced.stderr
    assert (out / "platformio.ini").exists()
    assert run_cli("simulate", model, "--board", "nucleo_h743zi").returncode == 0  # 2 MB of flash: it fits


def test_a_model_too_big_for_a_board_does_not_fit(monkeypatch):
    model = shared_or_skip("models/mlperf_vww_96_int8.tflite")
    small = tiny_board(sram=16 * 1024, flash=128 * 1024)  # vww needs ~29-37 KB of arena and ~250 KB of flash
    r = simulated(model, small, "off")
    assert r["fits"] is False and r["sram_fits"] is False and r["flash_fits"] is False
    assert r["sram_margin_bytes"] == 16 * 1024 - r["peak_sram_bytes"] < 0
    assert r["fit_note"].startswith("does not fit tiny")


def test_flash_is_exact_with_the_arm_toolchain():
    if not (shutil.which("arm-none-eabi-gcc") and shutil.which("arm-none-eabi-size")):
        pytest.skip("arm-none-eabi-gcc is not installed (.ci/run installs gcc-arm-none-eabi)")
    r = simulated(EXAMPLE, "nucleo_h743zi", "off")
    assert r["flash_is_estimate"] is False and "arm-none-eabi-gcc" in r["flash"]["method"]
    assert "-mfpu=fpv5-d16" in r["flash"]["method"]
    program = compile_model(EXAMPLE, REFERENCE)
    weights = sum(t.nbytes for op, _ in program.calls for t in op.inputs if t is not None and t.is_const)
    assert r["flash"]["constant_bytes"] >= weights  # weights plus requantization arrays and structs
    assert r["flash"]["code_bytes"] > 0
    assert r["flash"]["bss_bytes"] >= r["peak_sram_bytes"]  # the arena is a zero-initialised static array


def test_flash_is_an_estimate_without_the_arm_toolchain(monkeypatch):
    real_which = shutil.which
    monkeypatch.setattr(sim.shutil, "which",
                        lambda name: None if name.startswith("arm-none-eabi") else real_which(name))
    r = simulated(EXAMPLE, "nucleo_f411re", "off")
    assert r["flash_is_estimate"] is True and r["flash"]["method"].startswith("estimate")
    assert r["flash_bytes"] > 0
    host = simulated(EXAMPLE, None, "off")
    assert host["flash_is_estimate"] is True


def test_plot_writes_a_png(tmp_path):
    out = tmp_path / "plots" / "tiny.png"
    result = run_cli("simulate", EXAMPLE, "--board", "nucleo_f411re", "--plot", out)
    assert result.returncode == 0, result.stderr
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert width >= 800 and height >= 400
    from PIL import Image
    with Image.open(out) as image:
        image.verify()


# The benchmark's environment without TINYGEN_TFLM_MODELS, which would add tflite-micro's models.
ONLY_GIVEN_MODELS = {k: v for k, v in os.environ.items() if k != "TINYGEN_TFLM_MODELS"}


def test_memory_benchmark_prints_one_table(tmp_path):
    models = tmp_path / "models"
    models.mkdir()
    shutil.copy(EXAMPLE, models)
    result = subprocess.run([sys.executable, str(REPO / "benchmarks" / "memory.py"), str(models),
                             "--plot", str(tmp_path / "plots")], capture_output=True, text=True, cwd=tmp_path,
                            env=ONLY_GIVEN_MODELS)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("| model | TFLM arena | ours layer | ours patch | int8 layer | int8 patch | lower bound | "
                               "state |")
    row = next(line for line in lines if line.startswith("| tiny_cnn_int8 |"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    board = get_board("qemu_mps2_an500")
    layer = compile_model(EXAMPLE, SMALLEST_ARENA.but(patch="off"), board)
    patch = compile_model(EXAMPLE, SMALLEST_ARENA, board)
    assert int(cells[2].replace(",", "")) == layer.plan.arena_bytes
    assert int(cells[3].replace(",", "")) == patch.plan.arena_bytes
    assert cells[4] == cells[5] == "="  # int8 I/O already
    assert cells[7] == "0"  # no persistent state
    assert float(cells[8]) == pytest.approx(int(cells[1].replace(",", "")) / layer.plan.arena_bytes, abs=0.01)
    assert any(line.startswith("geometric mean of TFLM/ours over 1 models") for line in lines)
    assert any(line.startswith("  tiny_cnn_int8 (--io model): ") for line in lines)
    assert (tmp_path / "plots" / "tiny_cnn_int8.png").is_file()


@pytest.mark.parametrize("script, board", [("latency.py", "nucleo_f411re"), ("latency_model.py", "host")])
def test_emulator_benchmarks_refuse_a_board_qemu_does_not_run(script, board):
    result = subprocess.run([sys.executable, str(REPO / "benchmarks" / script), "--board", board],
                            capture_output=True, text=True, env=ONLY_GIVEN_MODELS)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]
    assert result.stderr.startswith(f"{script}: board {board} has no emulator")


def test_memory_benchmark_says_when_models_are_absent(tmp_path):
    result = subprocess.run([sys.executable, str(REPO / "benchmarks" / "memory.py"), str(tmp_path / "none")],
                            capture_output=True, text=True, env=ONLY_GIVEN_MODELS)
    assert result.returncode == 2 and "no .tflite models in" in result.stderr
