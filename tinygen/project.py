"""A compiled program written out as a project directory for its target: C sources with a host
runner, bare-metal firmware sources for an emulated board, or a PlatformIO project for a real one.

The directory is staged (tinygen.staging): a failure leaves nothing behind, and an existing
directory is only replaced when asked.
"""
from __future__ import annotations

from pathlib import Path

from tinygen.backends import build_needs
from tinygen.boards import Board
from tinygen.compiler import Program
from tinygen.staging import staged_directory


def write_project(program: Program, board: Board, out_dir: Path, input_file: Path | None = None,
                  force: bool = False, preprocess: dict | None = None) -> tuple[list[Path], str]:
    """The files written (at their final paths) and the command that builds them."""
    out_dir = Path(out_dir)
    with staged_directory(out_dir, force) as staging:
        files, next_step = _write(program, board, staging, input_file, preprocess)
    return sorted(out_dir / Path(f).relative_to(staging) for f in files), next_step.format(dir=out_dir)


def _write(program: Program, board: Board, out_dir: Path, input_file: Path | None, preprocess: dict | None
           ) -> tuple[list, str]:
    """The files for the target, and the command that builds them ({dir} stands for the directory)."""
    from tinygen import codegen

    from tinygen.inputs import join_inputs, load_inputs, random_inputs
    from tinygen.passes.int8_io import to_program_inputs

    sample = (load_inputs(program.graph, [input_file], preprocess) if input_file else random_inputs(program.graph, 1))[0]
    sample = to_program_inputs(program.graph, sample)
    if board.is_host or board.emulator:  # their runners read samples from inputs.bin: one to start with
        (out_dir / "inputs.bin").write_bytes(join_inputs([sample], program.graph.inputs))
    if board.is_host:
        files = codegen.render(program, out_dir, host_build=build_needs(program))
        return [*files, out_dir / "inputs.bin"], "make -C {dir} && {dir}/model < {dir}/inputs.bin > outputs.bin"
    if board.emulator:
        from tinygen.firmware import write_firmware

        write_firmware(program, board, out_dir)
        return [p for p in out_dir.rglob("*") if p.is_file()], "make -C {dir} && make -C {dir} run"
    from tinygen.firmware.platformio import write_platformio_project

    files = write_platformio_project(program, board, out_dir, sample)
    return files, f"tinygen flash {{dir}} --board {board.name}   (or: pio run -d {{dir}} -t upload)"
