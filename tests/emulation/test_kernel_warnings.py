"""The kernels (reference, builtin and common) compile for the DSP cores and the Helium one with
every conversion warning an error: the flags firmware is built with (tinygen.toolchain.cortex_m_flags)
plus tinygen.toolchain.STRICT_WARNINGS, which include -Wconversion and -Wsign-conversion; the MVE
kernels (mve_*) for cores with MVE only, as the builtin backend selects them. So does a generated
model.c, whose always-inline bodies and patch-tile functions hold the inline assembly, at every
optimization level, with frame pointers too (a register fewer for the asm)."""
import shutil
import subprocess

import pytest

from helpers import EXAMPLE
from tinygen import codegen
from tinygen.boards import get_board
from tinygen.compiler import compile_model
from tinygen.kernels import kernel_file
from tinygen.options import CompileOptions
from tinygen.toolchain import ARM_GCC, STRICT_WARNINGS, cortex_m_flags

FOLDERS = ("reference", "builtin", "common")


def _sources(mve: bool):
    root = kernel_file("tg_common.h").parent.parent
    sources = sorted(p for folder in FOLDERS for p in (root / folder).glob("*.c"))
    return [p for p in sources if mve or not p.name.startswith("mve_")], [root / f for f in FOLDERS]


@pytest.mark.parametrize("board", ["qemu_mps2_an386", "qemu_mps2_an500", "qemu_mps3_an547"])  # M4, M7, M55
def test_kernels_compile_without_warnings(board, tmp_path):
    if shutil.which(ARM_GCC) is None:
        pytest.skip(f"{ARM_GCC} is not installed (apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi)")
    sources, folders = _sources(get_board(board).has_mve)
    flags = cortex_m_flags(get_board(board)) + STRICT_WARNINGS + [f"-I{d}" for d in folders]
    assert len(sources) > 30
    if get_board(board).has_mve:  # the others are header-only: model.c's test below
        assert sum(p.name.startswith("mve_") for p in sources) == 1
    failed = {}
    for source in sources:
        result = subprocess.run([ARM_GCC, *flags, "-c", str(source), "-o", str(tmp_path / "k.o")],
                                capture_output=True, text=True)
        if result.returncode != 0 or result.stderr:
            failed[source.name] = (result.stderr.strip().splitlines() or ["?"])[0]
    assert not failed, failed


def test_a_generated_model_for_the_m55_compiles_without_warnings(tmp_path):
    """The Helium kernels' bodies, layer by layer and as the per-layer tile functions of a patch
    stage (MVE_CONV_TILES, MVE_DWCONV_TILES), with the strict warnings."""
    if shutil.which(ARM_GCC) is None:
        pytest.skip(f"{ARM_GCC} is not installed (apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi)")
    board = get_board("qemu_mps3_an547")
    program = compile_model(EXAMPLE, CompileOptions(patch=(5, 2)), board)
    functions = {call.function for _, call in program.calls}
    assert any(f.startswith("mve_conv_s8_tiles_") for f in functions), functions
    assert any(f.startswith("mve_dwconv_s8_tiles_") for f in functions), functions
    codegen.render(program, tmp_path)
    flags = cortex_m_flags(board) + STRICT_WARNINGS + ["-Wno-unused-function"]
    result = subprocess.run([ARM_GCC, *flags, "-c", "model.c", "-o", "model.o"], cwd=tmp_path, capture_output=True,
                            text=True)
    assert result.returncode == 0 and not result.stderr, result.stderr


@pytest.mark.parametrize("opt", ["-O1", "-O2", "-O3", "-Os", "-Og"])
def test_generated_model_compiles_at_every_level_with_frame_pointers(opt, tmp_path):
    """The example model, layer by layer and with its first layers in patch tiles (an out-of-line
    opt_conv and opt_dwconv per layer: the header-only kernels' bodies), for the M7. --optimize memory keeps opt_dwconv_rows out: GCC finds no
    registers for its asm at -O3 with frame pointers (on main too; the depthwise kernels' owner
    has it)."""
    if shutil.which(ARM_GCC) is None:
        pytest.skip(f"{ARM_GCC} is not installed (apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi)")
    board = get_board("qemu_mps2_an500")
    for patch in ("off", (5, 2)):
        out = tmp_path / str(patch)
        program = compile_model(EXAMPLE, CompileOptions(patch=patch, optimize="memory"), board)
        kernels = {call.kernel for _, call in program.calls}
        assert {"opt_conv", "opt_dwconv"} <= kernels
        codegen.render(program, out)
        for frame in ([], ["-fno-omit-frame-pointer"]):
            flags = cortex_m_flags(board, opt) + frame + STRICT_WARNINGS + ["-Wno-unused-function"]
            result = subprocess.run([ARM_GCC, *flags, "-c", "model.c", "-o", "model.o"], cwd=out,
                                    capture_output=True, text=True)
            assert result.returncode == 0 and not result.stderr, (patch, frame, result.stderr)
