"""Firmware for the emulated Cortex-M boards: built with arm-none-eabi-gcc, run in QEMU, outputs
bit-exact with TFLite Micro, instruction counts repeatable. Each firmware is built once and runs
all its samples in one QEMU run."""
import dataclasses
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from helpers import EXAMPLE, SHARED_MODELS, run_cli, shared_or_skip

from tinygen.boards import Region, all_boards, get_board
from tinygen.compiler import compile_model
from tinygen.options import CompileOptions, REFERENCE
from tinygen.errors import TinygenError
from tinygen.firmware import build_firmware, run_qemu
from tinygen.emulation import profile_report
from tinygen.firmware.build import DEFAULT_STACK_BYTES, stack_bytes_for
from tinygen.inputs import random_inputs
from tinygen.oracle import run_tflm
from tinygen.simulate import layer_rows

_MISSING = [tool for tool in ("arm-none-eabi-gcc", "qemu-system-arm") if shutil.which(tool) is None]
needs_tools = pytest.mark.skipif(
    bool(_MISSING), reason=f"{' and '.join(_MISSING)} not installed "
                           "(apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm)")

MODEL_NAMES = [p.stem for p in SHARED_MODELS] or ["(../shared/models absent)"]
SAMPLES = 5
_cache: dict = {}


def _case(model: Path, patch: str = "off", kernels: str = "reference"):
    """The program, its random samples and TFLM's outputs, shared by every board; builtin kernels
    with --optimize speed, the fastest variant at every layer."""
    key = (str(model), patch, kernels)
    if key not in _cache:
        options = CompileOptions(patch=patch, kernels=kernels, optimize="speed" if kernels == "builtin" else "auto")
        program = compile_model(model, options)
        samples = random_inputs(program.graph, SAMPLES, seed=7)
        _cache[key] = program, samples, run_tflm(model, samples, len(program.graph.outputs))
    return _cache[key]


def _stack_bytes(board: str) -> int:
    return stack_bytes_for(get_board(board))


def _assert_exact(ours, reference):
    assert len(ours) == len(reference)
    for s, (o, r) in enumerate(zip(ours, reference)):
        for i, (a, b) in enumerate(zip(o, r)):
            assert np.array_equal(a, np.asarray(b).reshape(a.shape)), f"sample {s} output {i} differs from TFLM"


def _assert_cycles(cycles, program, profiled=True, stack_bytes=DEFAULT_STACK_BYTES):
    assert len(cycles["total"]) == SAMPLES and all(t > 0 for t in cycles["total"])
    assert "instructions" in cycles["unit"] and "QEMU" in cycles["unit"]
    assert cycles["calibration"]["measured"] == cycles["calibration"]["loop_instructions"]
    assert 0 < cycles["stack_bytes_used"] < stack_bytes
    if not profiled:
        assert cycles["layers"] == [[]] * SAMPLES
        return
    for total, layers in zip(cycles["total"], cycles["layers"]):
        assert len(layers) == len(program.calls) and all(n >= 0 for n in layers)
        # The steps add up to the whole call but for tinygen_invoke()'s own prologue and epilogue.
        assert 0 <= total - sum(layers) < 200


def _run_twice(model: Path, board: str, tmp_path: Path, patch: str = "off", kernels: str = "reference",
               program=None):
    """Outputs bit-exact and counts repeated exactly; `program` (compiled for the board) replaces
    the program of `kernels` shared by every board."""
    shared, samples, reference = _case(model, patch, kernels)
    program = program or shared
    elf = build_firmware(program, board, tmp_path / board)
    done = []
    outputs, cycles = run_qemu(elf, board, samples, program, progress=lambda n, total: done.append((n, total)))
    assert done[-1] == (SAMPLES, SAMPLES)
    _assert_exact(outputs, reference)
    _assert_cycles(cycles, program, stack_bytes=_stack_bytes(board))
    again_outputs, again = run_qemu(elf, board, samples, program)
    _assert_exact(again_outputs, reference)
    assert again["total"] == cycles["total"] and again["layers"] == cycles["layers"], "counts must repeat exactly"
    return program, cycles


@needs_tools
@pytest.mark.parametrize("board", ["qemu_mps2_an386", "qemu_mps2_an500"])
@pytest.mark.parametrize("name", MODEL_NAMES)
@pytest.mark.parametrize("kernels", ["reference", "builtin"])
def test_shared_model_on_qemu(name, board, kernels, tmp_path):
    model = shared_or_skip(f"models/{name}.tflite")
    _run_twice(model, board, tmp_path, kernels=kernels)


@needs_tools
@pytest.mark.parametrize("board, name", [
    ("qemu_microbit", "mlperf_kws_dscnn_int8"),  # Cortex-M0, ARMv6-M: the portable builtin kernels
    ("qemu_netduino2_m0", "mlperf_ic_resnet8_int8"),  # the same core with room for a residual network
    ("qemu_mps2_an385", "tflm_micro_speech_int8"),  # Cortex-M3: ARMv7-M without DSP
    ("qemu_mps2_an505", "mlperf_kws_dscnn_int8"),  # Cortex-M33, Secure state: the DSP kernels
    ("qemu_mps3_an547", "mlperf_vww_96_int8"),  # Cortex-M55: the Helium (MVE) kernels
])
def test_every_core_class_runs_a_shared_model_with_the_default_kernels(board, name, tmp_path):
    """What `validate --board` checks on every core: the default compilation for that board (its
    builtin kernels, patch-based stages, memory-first choices) bit-exact with TFLM."""
    model = shared_or_skip(f"models/{name}.tflite")
    program = compile_model(model, CompileOptions(), get_board(board))
    family = "mve_" if get_board(board).has_mve else "opt_"
    assert any(call.kernel.startswith(family) for _, call in program.calls), "builtin kernels must run"
    if get_board(board).has_mve:  # vww's patch stage: the depthwise kernel's tile function in its tiles
        assert any(call.function.startswith("mve_dwconv_s8_tiles_") for _, call in program.calls)
    _run_twice(model, board, tmp_path, program=program)


@needs_tools
@pytest.mark.parametrize("board", ["qemu_mps2_an386", "qemu_mps2_an500"])
def test_patch_based_model_on_qemu(board, tmp_path):
    model = shared_or_skip("models/mlperf_vww_96_int8.tflite")
    program, cycles = _run_twice(model, board, tmp_path, patch="auto")
    assert program.patch is not None, "patch=auto tiles this model's first stage"
    assert len(cycles["layers"][0]) > len(program.steps)  # a patch stage is profiled tile by tile
    per_layer = profile_report(program, get_board(board), cycles)["layers"]
    tile_calls = profile_report(program, get_board(board), cycles, tiles=True)["layers"]
    assert len(per_layer) < len(tile_calls) == len(cycles["layers"][0])
    assert sum(row["cycles"] for row in per_layer) == sum(row["cycles"] for row in tile_calls)
    simulated = {row["step"]: row for row in layer_rows(program)}
    for row in per_layer:  # the step numbers of simulate
        assert simulated[row["step"]]["patch_stage"] == row["in_patch_stage"]
        assert row["op_index"] in simulated[row["step"]].get("ops", [simulated[row["step"]]["op_index"]])


@needs_tools
@pytest.mark.parametrize("name", MODEL_NAMES)
def test_shared_model_on_netduinoplus2(name, tmp_path):
    model = shared_or_skip(f"models/{name}.tflite")
    program, samples, reference = _case(model)
    board = get_board("qemu_netduinoplus2")
    assert program.plan.arena_bytes + DEFAULT_STACK_BYTES <= board.arena_limit_bytes
    outputs, cycles = run_qemu(build_firmware(program, board, tmp_path), board, samples, program)
    _assert_exact(outputs, reference)
    _assert_cycles(cycles, program)


@needs_tools
@pytest.mark.parametrize("board", [b.name for b in all_boards() if b.emulator])
def test_example_model_with_and_without_profiling(board, tmp_path):
    program, samples, reference = _case(EXAMPLE)
    stack = _stack_bytes(board)
    plain_outputs, plain = run_qemu(build_firmware(program, board, tmp_path / "plain", profile=False, opt="-Os"),
                                    board, samples, program)
    _assert_exact(plain_outputs, reference)
    _assert_cycles(plain, program, profiled=False, stack_bytes=stack)
    outputs, profiled = run_qemu(build_firmware(program, board, tmp_path / "profiled"), board, samples, program)
    _assert_exact(outputs, reference)
    _assert_cycles(profiled, program, stack_bytes=stack)
    makefile = (tmp_path / "profiled" / "Makefile").read_text()
    assert "-DTINYGEN_PROFILE" in makefile and "qemu-system-arm" in makefile


# --------------------------------------------------------------------------- errors, one line each

def _small(board: str, ram: int | None = None, flash: int | None = None):
    b = get_board(board)
    if ram is not None:  # the firmware takes its RAM from the board's link
        region = Region("tiny SRAM", 0x20000000, ram, True)
        b = dataclasses.replace(b, sram_regions=(region,), link=dataclasses.replace(b.link, ram=region))
    if flash is not None:
        b = dataclasses.replace(b, flash_bytes=flash)
    return b


@needs_tools
def test_arena_too_big_for_the_region(tmp_path):
    program = _case(EXAMPLE)[0]
    arena = program.plan.arena_bytes
    with pytest.raises(TinygenError, match=rf"arena {arena:,} bytes does not fit region tiny SRAM \(4,096 bytes\)"):
        build_firmware(program, _small("qemu_mps2_an386", ram=4096), tmp_path)
    # Arena and stack fit, the rest does not: the linker's complaint, put the same way.
    ram = arena + DEFAULT_STACK_BYTES + 8
    with pytest.raises(TinygenError, match=rf"arena {arena:,} bytes does not fit region tiny SRAM .*bytes short"):
        build_firmware(program, _small("qemu_mps2_an386", ram=ram), tmp_path)


@needs_tools
def test_a_refusal_for_ram_says_when_the_flash_is_over_too(tmp_path):
    program = _case(EXAMPLE)[0]
    board = _small("qemu_mps2_an386", ram=4096)
    board = dataclasses.replace(board, link=dataclasses.replace(board.link, flash_bytes=2048))
    with pytest.raises(TinygenError, match=r"does not fit region tiny SRAM .*; and flash too: [\d,]+ bytes of 2,048 "
                                           r"\(the framework's included\), [\d,]+ over$"):
        build_firmware(program, board, tmp_path)


@needs_tools
def test_code_too_big_for_the_flash(tmp_path):
    with pytest.raises(TinygenError, match=r"do not fit the flash of qemu_mps2_an386 \(2,048 bytes\): [\d,]+ bytes over"):
        build_firmware(_case(EXAMPLE)[0], _small("qemu_mps2_an386", flash=2048), tmp_path)


def test_missing_tools_say_what_to_install(tmp_path, monkeypatch):
    program = compile_model(EXAMPLE, REFERENCE)
    real_which = shutil.which
    monkeypatch.setattr(shutil, "which", lambda name, *a, **k: None if "arm" in name else real_which(name, *a, **k))
    with pytest.raises(TinygenError, match="install gcc-arm-none-eabi libnewlib-arm-none-eabi"):
        build_firmware(program, "qemu_mps2_an386", tmp_path)
    (tmp_path / "fw.elf").write_bytes(b"")
    with pytest.raises(TinygenError, match="install qemu-system-arm"):
        run_qemu(tmp_path / "fw.elf", "qemu_mps2_an386", [], program)


def test_board_without_emulator(tmp_path):
    program = compile_model(EXAMPLE, REFERENCE)
    (tmp_path / "fw.elf").write_bytes(b"")
    with pytest.raises(TinygenError, match="board nucleo_f746zg has no emulator; the boards QEMU runs are: .*qemu_mps2_an500"
                                          r".*use `tinygen generate --board nucleo_f746zg` and `tinygen flash`"):
        run_qemu(tmp_path / "fw.elf", "nucleo_f746zg", [], program)
    with pytest.raises(TinygenError, match="board host has no emulator.*the host runs models without an emulator"):
        run_qemu(tmp_path / "fw.elf", "host", [], program)


@needs_tools
@pytest.mark.parametrize("board", ["qemu_mps2_an386", "qemu_microbit"])  # ARMv7-M and ARMv6-M fault handling
def test_crash_and_timeout_are_clear_errors(board, tmp_path):
    program, samples, _ = _case(EXAMPLE)
    elf = build_firmware(program, board, tmp_path)
    with pytest.raises(TinygenError, match=r"QEMU timed out after"):
        run_qemu(elf, board, samples, program, timeout=0.001)
    # An undefined instruction after the first inference: the fault handler reports and exits.
    app = tmp_path / "app.c"
    app.write_text(app.read_text().replace("tinygen_invoke();", 'tinygen_invoke();\n    __asm__ volatile("udf #0");'))
    subprocess.run(["make", "-s", "-C", str(tmp_path)], check=True, capture_output=True)
    with pytest.raises(TinygenError, match=r"crashed in QEMU after 0 of 5 samples: .*fault: HardFault pc=0x"):
        run_qemu(elf, board, samples, program)



@needs_tools
@pytest.mark.parametrize("board", ["host", "qemu_mps2_an500"])
def test_generated_project_runs_its_sample_input_out_of_the_box(board, tmp_path):
    """generate writes inputs.bin (here from --input): `make run` (emulated) or the host runner
    reads it and gives TFLM's outputs."""
    model = shared_or_skip("models/mlperf_kws_dscnn_int8.tflite")
    program, samples, reference = _case(model)
    np.save(tmp_path / "x.npy", samples[0][0])
    out = tmp_path / "project"
    result = run_cli("generate", model, "--board", board, "-o", out, "--input", tmp_path / "x.npy")
    assert result.returncode == 0, result.stderr
    assert (out / "inputs.bin").read_bytes() == samples[0][0].tobytes()
    subprocess.run(["make", "-s", "-C", str(out)], check=True, capture_output=True)
    if board == "host":
        raw = subprocess.run([str(out / "model")], input=(out / "inputs.bin").read_bytes(), capture_output=True,
                             check=True).stdout
    else:
        subprocess.run(["make", "-s", "-C", str(out), "run"], check=True, capture_output=True, timeout=120)
        raw = (out / "outputs.bin").read_bytes()
    assert raw == np.ascontiguousarray(reference[0][0]).tobytes()
