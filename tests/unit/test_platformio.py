"""PlatformIO projects for real boards: they parse, name only installable things, their app speaks
the serial protocol (built on the host against a stand-in Arduino API), and flashing without
internet fails in one line."""
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from helpers import shared_or_skip
from tinygen.boards import all_boards
from tinygen.compiler import compile_model
from tinygen.options import DEFAULT
from tinygen.firmware.platformio import project_config, write_platformio_project
from tinygen.inputs import random_inputs
from tinygen.oracle import run_tflm

STUBS = Path(__file__).parents[1] / "stubs"
# What PlatformIO's own board manifests list as supported frameworks (platform-ststm32,
# platform-nordicnrf52): the project must not ask for anything else.
INSTALLABLE = {("ststm32", "arduino"), ("nordicnrf52", "arduino")}
REAL_BOARDS = [b for b in all_boards() if b.platformio]


def cli(*args):
    return subprocess.run([sys.executable, "-m", "tinygen", *map(str, args)], capture_output=True, text=True)


def needs_pio():
    if shutil.which("pio") is None:
        pytest.skip("PlatformIO is not installed (pip install platformio)")


@pytest.mark.parametrize("board", REAL_BOARDS, ids=lambda b: b.name)
def test_generated_project_parses_and_names_installable_packages(tmp_path, board):
    needs_pio()
    model = shared_or_skip("models/tflm_hello_world_int8.tflite")
    result = cli("generate", model, "--board", board.name, "-o", tmp_path / "p")
    assert result.returncode == 0, result.stderr
    config = dict(project_config(tmp_path / "p"))
    env = dict(config[f"env:{board.name}"])
    assert (env["platform"], env["framework"][0]) in INSTALLABLE
    assert env["board"] == board.platformio["board"] and "lib_deps" not in env


def _build_app_on_host(project: Path, out: Path) -> Path:
    library = project / "lib" / "tinygen_model"
    objects = []
    for source in [*library.glob("*.c"), *library.glob("kernels/*.c")]:
        obj = out / (source.stem + ".o")
        subprocess.run(["cc", "-c", "-O1", "-std=c99", "-I", str(library), "-o", str(obj), str(source)], check=True)
        objects.append(str(obj))
    exe = out / "app"
    subprocess.run(["c++", "-O1", "-DTINYGEN_CLOCK_HZ=100000000u", "-I", str(STUBS), "-I", str(library),
                    "-o", str(exe), str(project / "src" / "main.cpp"), str(STUBS / "arduino_main.cpp"), *objects],
                   check=True)
    return exe


def test_app_answers_the_serial_protocol_bit_exact(tmp_path):
    """With a prefix of its own and separate I/O buffers, as a firmware with several models has."""
    model = shared_or_skip("models/mlperf_kws_dscnn_int8.tflite")
    program = compile_model(model, DEFAULT.but(prefix="kws", io_buffers="separate"))
    samples = random_inputs(program.graph, 3, seed=5)
    write_platformio_project(program, next(b for b in REAL_BOARDS if b.name == "disco_f746ng"), tmp_path / "p",
                             samples[0])
    exe = _build_app_on_host(tmp_path / "p", tmp_path)
    assert "kws_invoke()" in (tmp_path / "p" / "lib" / "tinygen_model" / "tinygen_serve.c").read_text()
    requests = b"".join(b"I" + s[0].astype(np.int8).tobytes() for s in samples)
    lines = subprocess.run([str(exe)], input=requests, capture_output=True, check=True).stdout.decode().splitlines()
    assert lines[0].startswith("# ") and any(line.startswith("# cycles ") for line in lines)
    ready = next(line for line in lines if line.startswith("TINYGEN READY"))
    assert ready.split()[2:] == [str(program.graph.inputs[0].nbytes), str(program.graph.outputs[0].nbytes)]
    answers = [line.split() for line in lines if line.startswith("O ")]
    reference = run_tflm(model, samples, 1)
    assert len(answers) == 3
    for (_, _, hex_outputs), expected in zip(answers, reference):
        assert np.frombuffer(bytes.fromhex(hex_outputs), np.int8).tolist() == expected[0].ravel().tolist()


def test_flash_without_internet_fails_in_one_line(tmp_path):
    needs_pio()
    model = shared_or_skip("models/tflm_hello_world_int8.tflite")
    assert cli("generate", model, "--board", "nucleo_f411re", "-o", tmp_path / "p").returncode == 0
    result = cli("flash", tmp_path / "p", "--board", "nucleo_f411re")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("tinygen: error:") and "Traceback" not in result.stderr


def test_flash_refuses_an_emulated_board(tmp_path):
    result = cli("flash", tmp_path, "--board", "qemu_mps2_an500")
    assert result.returncode == 2 and "tinygen run" in result.stderr


def test_generate_json_names_the_files(tmp_path):
    model = shared_or_skip("models/tflm_hello_world_int8.tflite")
    result = cli("generate", model, "--board", "nano33ble", "-o", tmp_path / "p", "--json")
    files = json.loads(result.stdout)["files"]
    assert any(f.endswith("platformio.ini") for f in files) and any(f.endswith("src/main.cpp") for f in files)
