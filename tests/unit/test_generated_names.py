"""The generated library's names and placement: every external symbol carries the prefix (the
kernels' too), two libraries link side by side only with different prefixes, a bad prefix is one
line, and the build macros move the arena and the weights (section attributes, a caller's arena)."""
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from helpers import EXAMPLE, library_sources, run_cli
from tinygen import codegen
from tinygen.compiler import compile_model
from tinygen.kernels import _index
from tinygen.options import CompileOptions
from tinygen.boards import get_board
from tinygen.toolchain import ARM_GCC, HOST_FLAGS, cortex_m_flags

CC = shutil.which("cc")
needs_cc = pytest.mark.skipif(CC is None or shutil.which("nm") is None, reason="no host C compiler and nm")
LIBRARY_FLAGS = [*HOST_FLAGS, "-c"]


def _objects(sources: list[Path], out: Path, *flags: str, compiler: list[str] | None = None) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    objects = []
    for source in sources:
        obj = out / f"{source.parent.name}_{source.stem}.o"
        subprocess.run([*(compiler or [CC, *LIBRARY_FLAGS]), *flags, "-I", str(source.parent), "-o", str(obj),
                        str(source)], check=True)
        objects.append(obj)
    return objects


def _defined_globals(objects: list[Path], nm: str = "nm") -> set[str]:
    listing = subprocess.run([nm, "-g", "--defined-only", *map(str, objects)], capture_output=True, text=True,
                             check=True).stdout
    return {line.split()[-1] for line in listing.splitlines() if re.match(r"^[0-9a-f]+ [A-Z] ", line)}


@needs_cc
def test_every_kernel_function_gets_the_prefix(tmp_path):
    """Every kernel file there is (but the CMSIS-NN glue, which needs that library's headers),
    copied as generated code copies them, defines only names that start with the prefix. The
    Helium (MVE) kernels build for the Cortex-M55 only: with the Arm toolchain, for that core."""
    files = [p for p in _index().values() if p.parent.name != "cmsis_nn"]
    copied = codegen.copy_kernels([p.stem for p in files if p.suffix == ".h"],
                                  [p.stem for p in files if p.suffix == ".c"], tmp_path / "kernels", "pfx")
    sources = [p for p in copied if p.suffix == ".c"]
    symbols = _defined_globals(_objects([p for p in sources if not p.name.startswith("mve_")], tmp_path / "obj"))
    mve = [p for p in sources if p.name.startswith("mve_")]
    assert mve
    if shutil.which(ARM_GCC):
        arm = [ARM_GCC, *cortex_m_flags(get_board("qemu_mps3_an547")), "-c"]
        symbols |= _defined_globals(_objects(mve, tmp_path / "mve", compiler=arm), nm="arm-none-eabi-nm")
        assert any(name.startswith("pfx_mve_") for name in symbols)
    assert symbols and all(name.startswith("pfx_") for name in symbols), sorted(symbols)


@needs_cc
def test_two_libraries_link_together_only_with_different_prefixes(tmp_path):
    """A relocatable link of two generated libraries: the default prefix twice collides (the
    issue's multiple definitions), two prefixes do not, and every symbol has its library's prefix."""
    def link(prefixes: tuple[str, str], where: Path) -> subprocess.CompletedProcess:
        objects = []
        for i, prefix in enumerate(prefixes):
            program = compile_model(EXAMPLE, CompileOptions(prefix=prefix))
            objects += _objects(library_sources(program, where / f"lib{i}"), where / f"obj{i}")
        return subprocess.run([CC, "-r", "-nostdlib", "-o", str(where / "both.o"), *map(str, objects)],
                              capture_output=True, text=True)

    clash = link(("tinygen", "tinygen"), tmp_path / "same")
    assert clash.returncode != 0 and "multiple definition of `tinygen_invoke'" in clash.stderr
    assert "multiple definition of `tinygen_opt_conv_s8" in clash.stderr or "multiple definition of `tinygen_tg_" \
        in clash.stderr
    apart = link(("first", "second"), tmp_path / "apart")
    assert apart.returncode == 0, apart.stderr
    symbols = _defined_globals([tmp_path / "apart" / "both.o"])
    assert {"first_invoke", "second_invoke", "first_input", "second_output_info"} <= symbols
    assert all(name.startswith(("first_", "second_")) for name in symbols), sorted(symbols)


@pytest.mark.parametrize("prefix", ["9lives", "two words", "a-b", ""])
def test_a_prefix_that_is_not_a_c_identifier_is_one_line(tmp_path, prefix):
    result = run_cli("generate", EXAMPLE, "-o", tmp_path / "out", "--prefix", prefix)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "--prefix must be a C identifier" in result.stderr
    assert not (tmp_path / "out").exists()


def _local_symbols(obj: Path) -> dict[str, tuple[str, int]]:
    """Symbol -> (section, size) from objdump's symbol table."""
    table = subprocess.run(["objdump", "-t", str(obj)], capture_output=True, text=True, check=True).stdout
    found = {}
    for line in table.splitlines():
        fields = line.split()
        if len(fields) >= 5 and re.fullmatch(r"[0-9a-f]+", fields[-2]):
            found[fields[-1]] = (fields[-3], int(fields[-2], 16))
    return found


@needs_cc
@pytest.mark.skipif(shutil.which("objdump") is None, reason="no objdump")
def test_section_macros_place_the_arena_and_the_weights(tmp_path):
    program = compile_model(EXAMPLE, CompileOptions(io_buffers="separate"))
    model_c = next(p for p in library_sources(program, tmp_path / "lib") if p.name == "model.c")
    placed = _objects([model_c], tmp_path / "placed", '-DTINYGEN_ARENA_SECTION=".dtcm_arena"',
                      '-DTINYGEN_WEIGHTS_SECTION=".ext_weights"')[0]
    symbols = _local_symbols(placed)
    assert symbols["tinygen_arena"] == (".dtcm_arena", program.plan.arena_bytes)
    # The constant arrays the compiler kept (it folds some into inlined kernels).
    weights = [name for name in re.findall(r"^static const \w+ (\w+)\[\d+\] TINYGEN_WEIGHTS_PLACEMENT",
                                           model_c.read_text(), re.MULTILINE) if name in symbols]
    assert weights and all(symbols[name][0] == ".ext_weights" for name in weights)
    # The I/O buffers of --io-buffers separate stay in ordinary RAM.
    assert symbols["tinygen_input0_buffer"][0] == ".bss"
    plain = _local_symbols(_objects([model_c], tmp_path / "plain")[0])
    assert plain["tinygen_arena"][0] == ".bss"
    assert all(plain[name][0].startswith(".rodata") for name in weights)


@needs_cc
def test_a_callers_arena_replaces_the_library_one(tmp_path):
    program = compile_model(EXAMPLE, CompileOptions(prefix="ex"))
    model_c = next(p for p in library_sources(program, tmp_path / "lib") if p.name == "model.c")
    obj = _objects([model_c], tmp_path / "obj", "-DEX_ARENA=my_arena")[0]
    listing = subprocess.run(["nm", str(obj)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"^\s+U my_arena$", listing, re.MULTILINE), listing
    assert "ex_arena" not in listing
