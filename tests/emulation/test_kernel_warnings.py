"""The kernels (reference, builtin and common) compile for the DSP cores and the Helium one with
every conversion warning an error: the flags firmware is built with (tinygen.toolchain.cortex_m_flags)
plus tinygen.toolchain.STRICT_WARNINGS, which include -Wconversion and -Wsign-conversion. The MVE
kernels (mve_*) are built for cores with MVE only, as the builtin backend selects them."""
import shutil
import subprocess

import pytest

from tinygen.boards import get_board
from tinygen.kernels import kernel_file
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
    assert len(sources) > 40
    if get_board(board).has_mve:
        assert sum(p.name.startswith("mve_") for p in sources) == 3
    failed = {}
    for source in sources:
        result = subprocess.run([ARM_GCC, *flags, "-c", str(source), "-o", str(tmp_path / "k.o")],
                                capture_output=True, text=True)
        if result.returncode != 0 or result.stderr:
            failed[source.name] = (result.stderr.strip().splitlines() or ["?"])[0]
    assert not failed, failed
