"""validate and profile on a real board go through the serial protocol: here the "real board"
is the serving firmware in QEMU (a Cortex-M4 like the nucleo_f411re), reached on its TCP
socket as a pyserial URL, with --no-flash since nothing can be flashed here."""
import json
import shutil

import pytest

from helpers import run_cli, shared_or_skip
from tinygen.boards import get_board
from tinygen.compiler import compile_model
from tinygen.firmware.build import build_firmware
from tinygen.firmware.qemu import serve_qemu
from tinygen.options import DEFAULT

pytestmark = pytest.mark.skipif(not (shutil.which("arm-none-eabi-gcc") and shutil.which("qemu-system-arm")),
                                reason="needs arm-none-eabi-gcc and qemu-system-arm")
REAL = "nucleo_f411re"  # the board the commands are told about
STAND_IN = "qemu_mps2_an386"  # what runs its firmware: the same core, so the same program


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    model = shared_or_skip("models/mlperf_kws_dscnn_int8.tflite")
    program = compile_model(model, DEFAULT, get_board(REAL))
    elf = build_firmware(program, get_board(STAND_IN), tmp_path_factory.mktemp("serve"), app="serve", profile=True)
    with serve_qemu(elf, STAND_IN) as qemu:
        yield model, program, qemu.url


def test_validate_on_a_real_board_over_its_serial_port(served):
    model, _, url = served
    result = run_cli("validate", model, "--board", REAL, "--port", url, "--no-flash", "--samples", "3", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["samples"] == 3 and report["max_abs_diff"] == 0


def test_profile_on_a_real_board_gives_every_step(served):
    model, program, url = served
    result = run_cli("profile", model, "--board", REAL, "--port", url, "--no-flash", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    called = [i for i, step in enumerate(program.steps) if step.call.kernel_calls(step.op)]  # not aliases
    assert [row["step"] for row in report["layers"]] == called
    assert all(row["cycles"] > 0 for row in report["layers"])
    assert sum(row["cycles"] for row in report["layers"]) <= report["total_cycles"]
    assert "DWT" in report["unit"]


def test_serial_options_are_refused_off_real_boards(served):
    model, _, url = served
    for board in ("qemu_mps2_an500", None):
        args = ["--board", board] if board else []
        result = run_cli("validate", model, *args, "--port", url)
        assert result.returncode == 2 and "apply to real boards" in result.stderr
