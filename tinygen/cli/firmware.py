"""Commands on emulated and real boards: run, profile, flash."""
from __future__ import annotations

import json
import tempfile
from pathlib import Path

import click
import numpy as np

from tinygen.errors import TinygenError
from tinygen.cli.app import (MODEL, SEED, board_named, board_option, cli, compile_for, emulated_board,
                             planning_options, preprocess_option, progress, refuse_link_unless_real, require_fit,
                             require_images_for, serial_options)

FORCE = click.option("--force", is_flag=True, help="Build even when the model does not fit the board "
                     "(see `tinygen simulate --board`).")


@cli.command()
@MODEL
@board_option("Emulated board to run on")
@click.option("--input", "input_files", multiple=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Input to run: .npy or an image (as for validate). Repeatable; without it, one random input.")
@click.option("--seed", default=0, show_default=True, type=SEED, help="Seed of the random input.")
@preprocess_option
@planning_options
@FORCE
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def run(model: Path, board: str | None, input_files: tuple, seed: int, preprocess: dict, compile_options,
        force: bool, as_json: bool) -> None:
    """Build MODEL as firmware for an emulated board, run it in QEMU and print its outputs.

    \b
    Example:
      tinygen run model.tflite --board qemu_mps2_an500 --input photo.jpg
    Outputs are printed raw (quantized) and, where the output is quantized,
    as real values; with the instruction count of each inference.
    """
    from tinygen.emulation import run_emulated
    from tinygen.inputs import load_inputs, random_inputs
    from tinygen.passes.int8_io import to_program_inputs

    if board is None:
        raise TinygenError("--board is required: one of the emulated boards (see `tinygen boards`)")
    target = emulated_board(board)
    require_images_for(preprocess, input_files)
    program = compile_for(model, compile_options, board)
    require_fit(model, program, force)
    samples = [to_program_inputs(program.graph, sample)
               for sample in load_inputs(program.graph, input_files, preprocess) or random_inputs(program.graph, 1, seed)]
    outputs, cycles = run_emulated(program, target, samples, profile=False, progress=progress("inferences"))
    names = [str(f) for f in input_files] or ["random"]
    results = [{"input": names[i], "cycles": int(cycles["total"][i]),
                "outputs": [_output_values(t, y) for t, y in zip(program.graph.outputs, sample)]}
               for i, sample in enumerate(outputs)]
    if as_json:
        click.echo(json.dumps({"model": str(model), "board": target.name, "unit": cycles["unit"],
                               "results": results}, indent=2))
        return
    for r in results:
        click.echo(f"{r['input']}: {r['cycles']:,} cycles")
        for o in r["outputs"]:
            real = f"  real {np.round(o['real'], 4).tolist()}" if o["real"] is not None else ""
            click.echo(f"  {o['name']} {o['dtype']}: {o['values']}{real}")
    click.echo(f"cycles: {cycles['unit']}")


def _output_values(tensor, values) -> dict:
    values = np.asarray(values).reshape(-1)
    quant = tensor.quant
    real = None if quant is None or values.dtype.kind == "f" else (
        float(quant.s) * (values.astype(np.float64) - quant.zp))
    return {"name": tensor.name, "dtype": tensor.dtype, "values": values.tolist(),
            "real": None if real is None else real.tolist()}


@cli.command()
@MODEL
@board_option("Board to profile on: an emulated one in QEMU, or a real one flashed with PlatformIO and "
              "served on --port")
@serial_options
@click.option("--seed", default=0, show_default=True, type=SEED, help="Seed of the random input.")
@planning_options
@click.option("--tiles", is_flag=True, help="A row per tile call of a patch stage instead of one per op.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def profile(model: Path, board: str | None, link, seed: int, compile_options: dict, tiles: bool, as_json: bool) -> None:
    """Cycles per layer and in total for one inference on a board.

    On a real board the firmware is built with per-step marks and counts
    cycles with the core's DWT cycle counter (the marks' own cost included).

    Steps are numbered as `tinygen simulate` numbers them; a patch stage's
    tiles are summed per op (`--tiles` for a row per tile call). The figures
    are instructions executed under QEMU -icount, read through SysTick:
    repeatable run to run, proportional to work, but not the cycles of a real
    core (no pipeline, caches or flash wait states are modelled).
    """
    from tinygen.emulation import profile_report, run_emulated
    from tinygen.inputs import random_inputs
    from tinygen.passes.int8_io import to_program_inputs

    if board is None:
        raise TinygenError("--board is required (see `tinygen boards`)")
    target = board_named(board)
    if target.is_host:
        raise TinygenError("profile runs on a board, not the host (see `tinygen boards`)")
    refuse_link_unless_real(target)
    program = compile_for(model, compile_options, board)
    samples = [to_program_inputs(program.graph, sample) for sample in random_inputs(program.graph, 1, seed)]
    if target.emulator:
        _, cycles = run_emulated(program, target, samples, profile=True)
    else:
        from tinygen.firmware.serving import board_profile

        cycles = board_profile(program, target, samples[0], link)
    kernels = compile_options.kernels
    report = {"model": str(model), "kernels": kernels, **profile_report(program, target, cycles, tiles)}
    if as_json:
        click.echo(json.dumps(report, indent=2))
        return
    click.echo(f"{model} on {target.name}, kernels {kernels}")
    click.echo(f"{'step':>4}  {'op':20} {'kernel':18} {'calls':>5} {'MACs':>11} {'cycles':>13} {'MACs/cyc':>8} "
               f"{'share':>6}")
    for layer in report["layers"]:
        stage = "*" if layer["in_patch_stage"] else " "
        click.echo(f"{layer['step']:>4}{stage} {layer['op']:20} {layer['kernel']:18} {layer['calls']:>5} "
                   f"{layer['macs']:>11,} {layer['cycles']:>13,} {layer['macs_per_cycle']:>8.3f} "
                   f"{100 * layer['share']:>5.1f}%")
    if program.patch is not None:
        click.echo("(* in a patch stage: its tiles summed per op; --tiles for each call)")
    at_clock = f" ({report['time_at_clock_ms']:.1f} ms at {target.clock_hz / 1e6:g} MHz)" if target.clock_hz else ""
    click.echo(f"total {report['total_cycles']:,} cycles{at_clock}, {report['macs']:,} MACs, "
               f"{report['macs_per_cycle']:.3f} MACs/cycle")
    click.echo(f"cycles: {report['unit']}")


@cli.command()
@click.argument("target", type=click.Path(path_type=Path))
@board_option("Board to flash")
@click.option("--port", default=None, help="Serial/upload port (default: PlatformIO finds the board).")
@planning_options
@FORCE
def flash(target: Path, board: str | None, port: str | None, compile_options: dict, force: bool) -> None:
    """Build and upload TARGET (a project from `tinygen generate --board`, or a .tflite model) with PlatformIO.

    \b
    The first build downloads the board's platform and toolchain (internet
    needed once). Then `pio device monitor -d DIR` shows what the board prints.
    """
    from tinygen.firmware.platformio import flash as upload
    from tinygen.firmware.platformio import pio
    from tinygen.project import write_project

    if board is None:
        raise TinygenError("--board is required (see `tinygen boards`)")
    target_board = board_named(board)
    if not target_board.platformio:
        raise TinygenError(f"board {board} is not flashed with PlatformIO; emulated boards run with `tinygen run`")
    pio()  # fail early when PlatformIO is missing
    if target.is_dir():
        if not (target / "platformio.ini").exists():
            raise TinygenError(f"{target}: no platformio.ini (generate one with `tinygen generate --board {board}`)")
        click.echo(upload(target, port).strip().splitlines()[-1])
        return
    with tempfile.TemporaryDirectory(prefix="tinygen-flash-") as tmp:
        program = compile_for(target, compile_options, board)
        require_fit(target, program, force)
        project = Path(tmp) / "project"
        write_project(program, target_board, project)
        click.echo(upload(project, port).strip().splitlines()[-1])
