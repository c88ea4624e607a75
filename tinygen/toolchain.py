"""Every C build of generated code, with one set of flags per target: the host runner (validate),
the host runner under the sanitizers (the tests), the flash measurement (simulate) and bare-metal
firmware (emulated boards); the Makefiles that codegen and the firmware print carry the same flags.

What a program needs besides its generated files (a kernel library such as CMSIS-NN, and what a
PlatformIO project must fetch for it) each backend declares (tinygen.backends.build_needs).
"""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from tinygen.backends import BuildNeeds
from tinygen.boards import Board
from tinygen.errors import TinygenError

HOST_FLAGS = ["-std=c99", "-O2", "-Wall", "-Wextra"]
# AddressSanitizer and UndefinedBehaviorSanitizer, every report fatal. clang's: only its UBSan
# reports an offset applied to a NULL pointer, which gcc's lets through. -O0: nothing the checks
# look at is optimized away, and a shared model's always-inline per-layer kernels build in a
# quarter of -O1's time (person_detect's model.c: 27 s against 92 s; it then runs in 0.4 s).
SANITIZER_COMPILER = "clang"
SANITIZER_FLAGS = ["-std=c99", "-O0", "-g", "-fsanitize=address,undefined", "-fno-sanitize-recover=all",
                   "-fno-omit-frame-pointer"]
SANITIZER_ENV = {"ASAN_OPTIONS": "detect_leaks=0", "UBSAN_OPTIONS": "print_stacktrace=1"}
# What the kernels compile clean under for a Cortex-M core (the kernel warning tests).
STRICT_WARNINGS = ["-Werror", "-Wall", "-Wextra", "-Wconversion", "-Wsign-conversion"]
ARM_GCC = "arm-none-eabi-gcc"
ARM_INSTALL_HINT = "install gcc-arm-none-eabi libnewlib-arm-none-eabi"


def host_compiler() -> str:
    cc = os.environ.get("CC", "cc")
    if shutil.which(cc) is None:
        raise TinygenError(f"no host C compiler '{cc}' on PATH (set CC, or install gcc)")
    return cc


def sanitizer_compiler() -> str:
    if shutil.which(SANITIZER_COMPILER) is None:
        raise TinygenError(f"no {SANITIZER_COMPILER} on PATH for the sanitizer build (install clang)")
    return SANITIZER_COMPILER


def runner_environment() -> dict:
    """The environment a host runner runs in (the sanitizer settings matter only to a sanitized one)."""
    return {**os.environ, **SANITIZER_ENV}


def arm_gcc() -> str:
    gcc = shutil.which(ARM_GCC)
    if gcc is None:
        raise TinygenError(f"{ARM_GCC} is not on PATH: {ARM_INSTALL_HINT}")
    return gcc


def cortex_m_flags(board: Board, opt: str = "-O2") -> list[str]:
    """How generated code is compiled for a Cortex-M board, firmware and flash measurement alike."""
    # -masm-syntax-unified: inline assembly is in unified syntax on ARMv6-M too (GCC assumes the
    # old divided syntax there, where `adds r1, r1, #1` does not assemble).
    return ["-std=c99", opt, *board.gcc_flags(), "-masm-syntax-unified", "-ffunction-sections", "-fdata-sections",
            "-Wall", "-Wextra", "-Wno-unused-parameter", "-I."]


def firmware_link_flags() -> list[str]:
    # Plain newlib (not nano): its memcpy/memset are the fast ones, and nothing here uses printf or
    # malloc, where nano saves its space. No C library start-up: startup.c is the entry point.
    return ["-nostartfiles", "-T", "link.ld", "-Wl,--gc-sections", "-Wl,-Map=fw.map", "-lm"]


def model_link_flags(entry: str, kept: list[str]) -> list[str]:
    """Linking the model alone, to measure its flash: the firmware's C library with syscall stubs,
    sections nothing reaches from `entry` or `kept` dropped."""
    return ["--specs=nosys.specs", "-nostartfiles", "-Wl,--gc-sections", f"-Wl,-e,{entry}",
            *[f"-Wl,-u,{symbol}" for symbol in kept], "-lm"]


def include_flags(needs: BuildNeeds) -> list[str]:
    return [f"-I{d}" for d in needs.include_dirs]


def compile_objects(compiler: str, flags: list[str], sources: list[str], cwd: Path) -> list[Path]:
    """Each source compiled on its own (`-c`) in cwd: the object files, in order."""
    objects = []
    for source in sources:
        obj = cwd / (Path(source).stem + ".o")
        result = subprocess.run([compiler, *flags, "-c", source, "-o", str(obj)], cwd=cwd, capture_output=True,
                                text=True)
        if result.returncode != 0:
            lines = result.stderr.strip().splitlines() or ["?"]
            first_error = next((line for line in lines if "error" in line), lines[-1])
            raise TinygenError(f"{Path(compiler).name} could not compile the generated {source}: {first_error}")
        objects.append(obj)
    return objects


def build_host_runner(src_dir: Path, needs: BuildNeeds, sanitize: bool = False) -> Path:
    """The host runner codegen wrote into src_dir (main.c, model.c, kernels/), compiled (with
    `sanitize`, under ASan and UBSan): its path."""
    sources = [str(src_dir / "main.c"), str(src_dir / "model.c")] + sorted(
        str(p) for p in (src_dir / "kernels").glob("*.c"))
    exe = src_dir / "model"
    compiler, flags = (sanitizer_compiler(), SANITIZER_FLAGS) if sanitize else (host_compiler(), HOST_FLAGS)
    result = subprocess.run([compiler, *flags, "-I", str(src_dir), *include_flags(needs),
                             "-o", str(exe), *sources, *needs.sources, "-lm"], capture_output=True, text=True)
    if result.returncode != 0:
        first_error = next((line for line in result.stderr.splitlines() if "error" in line), result.stderr.strip())
        raise TinygenError(f"the generated C did not compile: {first_error}")
    return exe
