"""Two generated models in one emulated Cortex-M7 image (qemu_mps2_an500): kws and vww with the
prefixes a and b, run one after the other on every sample by tests/stubs/two_models.c, each
bit-exact with TFLite Micro."""
import shutil
import subprocess

import pytest

from helpers import STUBS, assert_side_by_side_exact, compiled, library_sources, shared_or_skip, side_by_side
from tinygen.boards import get_board
from tinygen.firmware import write_firmware
from tinygen.firmware.build import qemu_command
from tinygen.inputs import random_inputs
from tinygen.options import CompileOptions
from tinygen.toolchain import ARM_GCC, firmware_link_flags

_MISSING = [tool for tool in (ARM_GCC, "qemu-system-arm") if shutil.which(tool) is None]
needs_tools = pytest.mark.skipif(bool(_MISSING), reason=f"{' and '.join(_MISSING)} not installed "
                                 "(apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm)")


@needs_tools
@pytest.mark.parametrize("io_buffers, shared_arena", [("arena", False), ("separate", True)])
def test_two_models_in_one_cortex_m7_image(tmp_path, io_buffers, shared_arena):
    board = get_board("qemu_mps2_an500")
    paths = {"a": shared_or_skip("models/mlperf_kws_dscnn_int8.tflite"),
             "b": shared_or_skip("models/mlperf_vww_96_int8.tflite")}
    programs = {name: compiled(path, CompileOptions(prefix=name, io_buffers=io_buffers), board.name)
                for name, path in paths.items()}
    # The firmware of model a gives the start-up code, linker script and flags; its own app and
    # model files are left out: the image is two_models.c with both libraries.
    _, cflags, _ = write_firmware(programs["a"], board, tmp_path, profile=False)
    sources = [str(c.relative_to(tmp_path)) for name, program in programs.items()
               for c in library_sources(program, tmp_path / name)]
    defines = ["-DSHARED_ARENA", "-DA_ARENA=shared_arena", "-DB_ARENA=shared_arena"] if shared_arena else []
    built = subprocess.run([shutil.which(ARM_GCC), *cflags, *defines, "startup.c", str(STUBS / "two_models.c"),
                            *sources, *firmware_link_flags(), "-o", "both.elf"], cwd=tmp_path, capture_output=True,
                           text=True)
    assert built.returncode == 0, built.stderr
    samples = {name: random_inputs(program.graph, 2, seed=9) for name, program in programs.items()}
    (tmp_path / "inputs.bin").write_bytes(side_by_side(programs, samples))
    run = subprocess.run([*qemu_command(board), "-kernel", "both.elf"], cwd=tmp_path, capture_output=True, text=True,
                         timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    assert_side_by_side_exact((tmp_path / "outputs.bin").read_bytes(), programs, paths, samples)
