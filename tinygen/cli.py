"""The `tinygen` command line.

Exit codes: 0 success; 1 the check ran and failed (e.g. outputs differ from TFLite Micro);
2 bad input (unreadable or unsupported model, bad option, existing output directory).
"""
from __future__ import annotations

import functools
import json
import os
import sys
import tempfile
from dataclasses import asdict
from pathlib import Path

import click
import numpy as np

from tinygen.errors import TinygenError
from tinygen.patch import summary as patch_summary

MODEL = click.argument("model", type=click.Path(dir_okay=False, path_type=Path))


def _cmsis_nn_path(ctx, param, value):
    """--cmsis-nn PATH reaches the backend as TINYGEN_CMSIS_NN (tinygen.backends.cmsis_nn.cmsis_nn_path)."""
    if value:
        os.environ["TINYGEN_CMSIS_NN"] = os.path.abspath(os.path.expanduser(value))
    return value


def planning_options(fn):
    """--patch, --max-mac-overhead, --kernels, --optimize, --io and --cmsis-nn: how the model is
    compiled, shared by every command that compiles; the command gets them as one
    `compile_options` dict of tinygen.compiler.compile_model's keyword arguments."""
    @functools.wraps(fn)
    def command(*args, patch_mode, max_mac_overhead, kernels, optimize, io, **kwargs):
        options = {"patch": patch_mode, "max_mac_overhead": max_mac_overhead, "kernels": kernels,
                   "memory_first": optimize == "memory", "io": io}
        return fn(*args, compile_options=options, **kwargs)

    command = click.option("--io", type=click.Choice(["model", "int8"]), default="model", show_default=True,
                           help="model: the C API takes and returns the model's own input and output types; "
                           "int8: the boundary QUANTIZE/DEQUANTIZE ops are dropped and it takes and returns "
                           "int8 (model.h gives each one's scale and zero point, and float helpers).")(command)
    command = click.option("--optimize", type=click.Choice(["memory", "speed"]), default="memory",
                           show_default=True, help="memory: at the layers that set peak SRAM, slower kernel "
                           "variants where they shrink it; speed: the fastest kernels everywhere.")(command)
    command = click.option("--cmsis-nn", metavar="PATH", default=None, expose_value=False, callback=_cmsis_nn_path,
                           help="A CMSIS-NN checkout, for --kernels cmsis-nn (default: $TINYGEN_CMSIS_NN).")(command)
    command = click.option("--kernels", type=click.Choice(["builtin", "reference", "cmsis-nn"]), default="builtin",
                           show_default=True, help="builtin: tinygen's optimized kernels; reference: the plain "
                           "reference kernels; cmsis-nn: Arm's CMSIS-NN library where it has the op.")(command)
    command = click.option("--max-mac-overhead", default=0.2, show_default=True, type=click.FloatRange(0, None),
                           help="Extra MACs patch-based execution may cost, as a fraction of the model's MACs.")(command)
    return click.option("--patch", "patch_mode", type=click.Choice(["auto", "off"]), default="auto",
                        show_default=True, help="auto: run the memory-heaviest first stages tile by tile where "
                        "that lowers peak SRAM; off: layer by layer.")(command)


def board_option(help_text: str):
    return click.option("--board", default=None, metavar="NAME", help=help_text + " (see `tinygen boards`)")


def _compile(model: Path, compile_options: dict, board_name: str | None):
    from tinygen.compiler import compile_model

    board = _board(board_name)
    return compile_model(model, board=None if board.is_host else board.to_dict(), **compile_options)


def _board(name: str | None):
    from tinygen.boards import get_board

    return get_board(name or "host")  # an unknown board fails before any work


def _emulated_board(name: str):
    from tinygen.emulation import require_emulated

    board = _board(name)
    require_emulated(board)
    return board


def _progress(label: str):
    """Progress on stderr for runs of several samples: `label: done/total`, rewritten in place."""
    def update(done: int, total: int) -> None:
        if total >= 5:
            click.echo(f"\r{label}: {done}/{total}", err=True, nl=done >= total)

    return update


def _fail(message: str) -> None:
    click.echo(f"tinygen: error: {message}", err=True)
    sys.exit(TinygenError.exit_code)


def main() -> None:
    try:
        cli(standalone_mode=False)
    except TinygenError as e:
        _fail(str(e))
    except click.exceptions.Abort:
        _fail("aborted")
    except click.ClickException as e:
        _fail(e.format_message())


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="tinygen")
def cli() -> None:
    """Compile int8 TensorFlow Lite models into plain C for microcontrollers.

    \b
    Start with:
      tinygen inspect model.tflite            what is in the model, layer by layer
      tinygen validate model.tflite           bit-exact check against TFLite Micro
      tinygen generate model.tflite -o out/   C sources (model.c, model.h, kernels/)
      tinygen simulate model.tflite --board B SRAM per layer, flash, and whether it fits B
      tinygen run model.tflite --board qemu_mps2_an500    run it on an emulated Cortex-M7
      tinygen profile model.tflite --board qemu_mps2_an500 cycles per layer
      tinygen generate model.tflite --board disco_f746ng -o out/  a PlatformIO project
      tinygen flash out/ --board disco_f746ng  build and upload it
      tinygen boards                          the boards tinygen knows
      tinygen search --board B --data DIR -o out/   find and train a network that fits B
      tinygen demo person-detection ...      photos to answers on a board
    """


@cli.command()
@MODEL
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of a table.")
def inspect(model: Path, as_json: bool) -> None:
    """Show ops, shapes, MACs, parameters and activation bytes per layer.

    Ops tinygen cannot compile are listed with the reason; the exit code is then 2.
    """
    from tinygen.inspect import inspect_model

    info = inspect_model(model)
    if as_json:
        click.echo(json.dumps(info, indent=2))
    else:
        _print_inspect(info)
    if not info["supported"]:
        sys.exit(2)


def _print_inspect(info: dict) -> None:
    for kind, tensors in (("input", info["inputs"]), ("output", info["outputs"])):
        for t in tensors:
            quant = f" scale {t['scale']:.6g} zero point {t['zero_point']}" if t["scale"] is not None else ""
            click.echo(f"{kind:6} {t['name']}: {t['dtype']} {'x'.join(map(str, t['shape']))}{quant}")
    click.echo(f"\n{'#':>3}  {'op':24} {'output':>16} {'MACs':>12} {'params':>9} {'act. bytes':>10}")
    for layer in info["layers"]:
        mark = "" if layer["supported"] else "   <- " + layer["problem"].split(": ", 1)[-1]
        click.echo(f"{layer['index']:>3}  {layer['op']:24} {'x'.join(map(str, layer['output_shape'])):>16} "
                   f"{layer['macs']:>12,} {layer['parameters']:>9,} {layer['activation_bytes']:>10,}{mark}")
    click.echo(f"\ntotal: {info['total_macs']:,} MACs, {info['total_parameters']:,} parameters "
               f"({info['total_parameter_bytes']:,} bytes), largest layer {info['largest_layer_activation_bytes']:,} "
               "activation bytes")


@cli.command()
@MODEL
@click.option("-o", "--output", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Directory to create with the generated sources.")
@click.option("--force", is_flag=True, help="Replace the output directory if it exists.")
@board_option("Target board; without it, C sources with a host runner")
@click.option("--input", "input_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="With a real --board: the sample input the firmware runs at start-up (.npy or image; "
                   "default: a random one).")
@planning_options
@click.option("--json", "as_json", is_flag=True, help="Print a JSON summary.")
def generate(model: Path, out_dir: Path, force: bool, board: str | None, input_file: Path | None,
             compile_options: dict, as_json: bool) -> None:
    """Generate C sources for MODEL into a new directory.

    \b
    Without --board: model.h / model.c (weights as const data, one static
    arena, tinygen_invoke()), kernels/ with the kernels the model uses, and a
    host runner (main.c, Makefile: raw inputs on stdin, raw outputs on stdout).
    With a real board: a PlatformIO project (platformio.ini, src/main.cpp,
    lib/tinygen_model/) that prints the outputs and cycles of a sample input
    and then answers inference requests over the serial port; flash it with
    `tinygen flash DIR --board B`.
    With an emulated board: bare-metal firmware sources with a Makefile for
    the system arm-none-eabi-gcc (`make`, then `make run` in QEMU).
    """
    from tinygen.project import write_project

    if out_dir.exists() and not force:
        raise TinygenError(f"{out_dir} exists; pass --force to replace it")
    target = _board(board)
    program = _compile(model, compile_options, board)
    files, next_step = write_project(program, target, out_dir, input_file, force)
    summary = {"model": str(model), "board": target.name, "output": str(out_dir),
               "arena_bytes": program.plan.arena_bytes, "patch": program.patch, "files": [str(f) for f in files]}
    if as_json:
        click.echo(json.dumps(summary, indent=2))
    else:
        click.echo(f"wrote {len(files)} files to {out_dir} (arena {program.plan.arena_bytes:,} bytes); "
                   f"next: {next_step}")


@cli.command()
@MODEL
@click.option("--samples", default=20, show_default=True, type=click.IntRange(0, None),
              help="Random inputs to try.")
@click.option("--input", "input_files", multiple=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Also run this input: .npy with the input's shape and dtype, or an image "
                   "(resized bilinearly, pixels/255, quantized with the input's scale). Repeatable.")
@click.option("--seed", default=0, show_default=True, help="Seed of the random inputs.")
@board_option("Run on this emulated board in QEMU instead of the host")
@planning_options
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def validate(model: Path, samples: int, input_files: tuple, seed: int, board: str | None, compile_options: dict,
             as_json: bool) -> None:
    """Check the generated C bit-exact against the TFLite Micro interpreter.

    Builds the generated code with the host C compiler ($CC, default cc), or
    with arm-none-eabi-gcc for an emulated --board and runs it in QEMU; runs
    tflite-micro on the same inputs, and reports the largest absolute
    difference per output. Exit 0 only when every output is identical, 1 when
    any differs.
    """
    from tinygen.validate import validate as run_validation

    if samples == 0 and not input_files:
        raise TinygenError("nothing to validate: give --samples N > 0 or --input FILE")
    target = _emulated_board(board) if board else None
    program = _compile(model, compile_options, board)
    report = run_validation(model, samples, input_files, seed, program=program, board=target,
                            progress=_progress("emulated inferences"))
    if as_json:
        click.echo(json.dumps(asdict(report), indent=2, default=_json_default))
    else:
        for o in report.outputs:
            click.echo(f"output '{o.name}' {o.dtype} {'x'.join(map(str, o.shape))}: max |diff| {o.max_abs_diff}"
                       f" ({o.mismatched_samples} of {report.samples} samples differ)")
        if report.patch:
            p = report.patch
            click.echo(f"patch-based: {patch_summary(p)}; arena {report.arena_bytes:,} bytes")
        if program.graph.dropped_io:
            click.echo("--io int8: the C code reads and writes int8; its values went through the model's own "
                       "QUANTIZE/DEQUANTIZE to meet TFLite Micro's")
        verdict = "bit-exact with TFLite Micro" if report.exact else "DIFFERS from TFLite Micro"
        click.echo(f"{model}: {verdict} on {report.samples} inputs")
    sys.exit(0 if report.exact else 1)


def _json_default(value):
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"not JSON serializable: {type(value)}")


def _kib(n) -> str:
    if n is None:
        return "-"
    return f"{n / (1 << 20):.4g} MB" if n >= (1 << 20) else f"{n / 1024:.4g} KB"


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list instead of a table.")
def boards(as_json: bool) -> None:
    """List the target boards `simulate --board` knows (from boards/*.json)."""
    from tinygen.boards import all_boards

    known = all_boards()
    if as_json:
        click.echo(json.dumps([b.to_dict() for b in known], indent=2))
        return
    click.echo(f"{'name':20} {'core':11} {'clock':>8} {'SRAM':>8} {'largest':>8} {'flash':>8}  emulator")
    for b in known:
        clock = f"{b.clock_hz / 1e6:g} MHz" if b.clock_hz else "-"
        emulator = f"qemu -M {b.emulator['machine']}" if b.emulator else "-"
        if b.is_host:
            click.echo(f"{b.name:20} {b.core:11} {clock:>8} {'no limit':>8} {'-':>8} {'no limit':>8}  {emulator}")
        else:
            click.echo(f"{b.name:20} {b.core:11} {clock:>8} {_kib(b.sram_bytes):>8} {_kib(b.arena_limit_bytes):>8} "
                       f"{_kib(b.flash_bytes):>8}  {emulator}")
    click.echo("\n'largest' is the largest contiguous SRAM an arena can use (adjacent regions count as one).")


@cli.command()
@MODEL
@board_option("Target board; without it, the host: no limits")
@planning_options
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--plot", "plot_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write a PNG of SRAM per layer, layer-based and patch-based side by side.")
def simulate(model: Path, board: str | None, compile_options: dict, as_json: bool,
             plot_file: Path | None) -> None:
    """Report SRAM per layer, peak, lower bound and flash, and whether MODEL fits a board.

    \b
    SRAM: bytes live at each layer and how far into the arena they reach; the
    arena must fit the board's largest contiguous SRAM. Flash: the generated C
    built with arm-none-eabi-gcc -Os for the board's core (exact), or the host
    compiler's object sizes when that is missing (marked as an estimate).
    """
    from tinygen.simulate import plot
    from tinygen.simulate import simulate as run_simulation

    program = _compile(model, compile_options, board)
    report = run_simulation(model, board, compile_options["patch"], compile_options["max_mac_overhead"],
                            program=program)
    if plot_file is not None:
        other = "off" if compile_options["patch"] == "auto" else "auto"
        programs = {compile_options["patch"]: program, other: _compile(model, {**compile_options, "patch": other}, board)}
        plot(model, board, plot_file, compile_options["max_mac_overhead"], programs=programs)
        report["plot"] = str(plot_file)
    if as_json:
        click.echo(json.dumps(report, indent=2))
    else:
        _print_simulation(report)


def _short(name: str, width: int = 40) -> str:
    return name if len(name) <= width else name[:width - 3] + "..."


def _print_simulation(r: dict) -> None:
    click.echo(f"{r['model']} on {r['board']} (patch {r['patch_mode']})")
    if r["patch"]:
        for i, stage in enumerate(r["patch"]["stages"], 1):
            rows, cols = stage["tiles"]
            click.echo(f"patch stage {i}: ops {stage['ops'][0]}-{stage['ops'][-1]} ({len(stage['ops'])} ops) in "
                       f"{rows}x{cols} tiles, +{stage['extra_macs']:,} MACs (+{100 * stage['mac_overhead']:.1f}%), "
                       f"tile buffers {stage['tile_buffer_bytes']:,} B, output "
                       f"'{_short(stage['stage_output'])}' {'x'.join(map(str, stage['stage_output_shape']))}")
    elif r["patch_mode"] == "auto":
        click.echo(f"patch-based stage: none ({r['patch_note']}); layer by layer")
    click.echo(f"\n{'step':>4}  {'op':24} {'output':>14} {'MACs':>12} {'live bytes':>11} {'arena bytes':>11}")
    for layer in r["layers"]:
        mark = " *" if layer["patch_stage"] else ""
        peak = "  <- peak" if layer["step"] == r["peak_step"] else ""
        click.echo(f"{layer['step']:>4}  {layer['op']:24} {'x'.join(map(str, layer['output_shape'])):>14} "
                   f"{layer['macs']:>12,} {layer['live_bytes']:>11,} {layer['arena_bytes']:>11,}{mark}{peak}")
    if r["patch"]:
        click.echo("(* runs tile by tile)")
    pct = lambda v: "" if v is None else f" ({v:.1f}%)"  # noqa: E731
    lb = r["lower_bound_bytes"]
    click.echo(f"\npeak SRAM    {r['peak_sram_bytes']:>11,} bytes at {r['peak_at']}; lower bound {lb:,}"
               + (f" (+{100 * (r['peak_sram_bytes'] - lb) / lb:.1f}%)" if lb else ""))
    flash = r["flash"]
    label = "flash (estimate)" if r["flash_is_estimate"] else "flash"
    click.echo(f"{label:16} {r['flash_bytes']:>7,} bytes: code {flash['code_bytes']:,}, constant data "
               f"{flash['constant_bytes']:,}, initialised data {flash['data_bytes']:,} [{flash['method']}]")
    if flash["static_ram_bytes"] is not None and not r["flash_is_estimate"]:
        click.echo(f"static RAM   {flash['static_ram_bytes']:>11,} bytes (data + bss, the arena included)")
    if r["sram_limit_bytes"] is not None:
        click.echo(f"SRAM limit   {r['sram_limit_bytes']:>11,} bytes (largest contiguous SRAM): "
                   f"{'fits' if r['sram_fits'] else 'DOES NOT FIT'}, margin {r['sram_margin_bytes']:,}"
                   f"{pct(r['sram_margin_pct'])}")
        click.echo(f"flash limit  {r['flash_limit_bytes']:>11,} bytes: "
                   f"{'fits' if r['flash_fits'] else 'DOES NOT FIT'}, "
                   f"margin {r['flash_margin_bytes']:,}{pct(r['flash_margin_pct'])}")
    click.echo(r["fit_note"])
    if r.get("plot"):
        click.echo(f"wrote {r['plot']}")


@cli.command()
@MODEL
@board_option("Emulated board to run on")
@click.option("--input", "input_files", multiple=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Input to run: .npy or an image (as for validate). Repeatable; without it, one random input.")
@click.option("--seed", default=0, show_default=True, help="Seed of the random input.")
@planning_options
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def run(model: Path, board: str | None, input_files: tuple, seed: int, compile_options: dict, as_json: bool) -> None:
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
    target = _emulated_board(board)
    program = _compile(model, compile_options, board)
    samples = [to_program_inputs(program.graph, sample)
               for sample in load_inputs(program.graph, input_files) or random_inputs(program.graph, 1, seed)]
    outputs, cycles = run_emulated(program, target, samples, profile=False, progress=_progress("inferences"))
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
@board_option("Emulated board to profile on")
@click.option("--seed", default=0, show_default=True, help="Seed of the random input.")
@planning_options
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def profile(model: Path, board: str | None, seed: int, compile_options: dict, as_json: bool) -> None:
    """Cycles per layer and in total for one inference on an emulated board.

    The figures are instructions executed under QEMU -icount, read through
    SysTick: repeatable run to run, proportional to work, but not the cycles of
    a real core (no pipeline, caches or flash wait states are modelled).
    """
    from tinygen.emulation import profile_report, run_emulated
    from tinygen.inputs import random_inputs
    from tinygen.passes.int8_io import to_program_inputs

    if board is None:
        raise TinygenError("--board is required: one of the emulated boards (see `tinygen boards`)")
    target = _emulated_board(board)
    program = _compile(model, compile_options, board)
    samples = [to_program_inputs(program.graph, sample) for sample in random_inputs(program.graph, 1, seed)]
    _, cycles = run_emulated(program, target, samples, profile=True)
    kernels = compile_options["kernels"]
    report = {"model": str(model), "kernels": kernels, **profile_report(program, target, cycles)}
    if as_json:
        click.echo(json.dumps(report, indent=2))
        return
    click.echo(f"{model} on {target.name}, kernels {kernels}")
    click.echo(f"{'step':>4}  {'op':20} {'kernel':18} {'MACs':>11} {'cycles':>13} {'MACs/cyc':>8} {'share':>6}")
    for layer in report["layers"]:
        click.echo(f"{layer['step']:>4}  {layer['op']:20} {layer['kernel']:18} {layer['macs']:>11,} "
                   f"{layer['cycles']:>13,} {layer['macs_per_cycle']:>8.3f} {100 * layer['share']:>5.1f}%")
    at_clock = f" ({report['time_at_clock_ms']:.1f} ms at {target.clock_hz / 1e6:g} MHz)" if target.clock_hz else ""
    click.echo(f"total {report['total_cycles']:,} cycles{at_clock}, {report['macs']:,} MACs, "
               f"{report['macs_per_cycle']:.3f} MACs/cycle")
    click.echo(f"cycles: {report['unit']}")


@cli.command()
@click.argument("target", type=click.Path(path_type=Path))
@board_option("Board to flash")
@click.option("--port", default=None, help="Serial/upload port (default: PlatformIO finds the board).")
@planning_options
def flash(target: Path, board: str | None, port: str | None, compile_options: dict) -> None:
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
    target_board = _board(board)
    if not target_board.platformio:
        raise TinygenError(f"board {board} is not flashed with PlatformIO; emulated boards run with `tinygen run`")
    pio()  # fail early when PlatformIO is missing
    if target.is_dir():
        if not (target / "platformio.ini").exists():
            raise TinygenError(f"{target}: no platformio.ini (generate one with `tinygen generate --board {board}`)")
        click.echo(upload(target, port).strip().splitlines()[-1])
        return
    with tempfile.TemporaryDirectory(prefix="tinygen-flash-") as tmp:
        program = _compile(target, compile_options, board)
        project = Path(tmp) / "project"
        write_project(program, target_board, project)
        click.echo(upload(project, port).strip().splitlines()[-1])


@cli.group()
def demo() -> None:
    """End-to-end demos: from a model and data to answers on a board."""


@demo.command("person-detection")
@click.option("--model", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="An int8 .tflite person detector (run without it to see where to get one).")
@click.option("--images", type=click.Path(path_type=Path), default=None,
              help="A folder of photos; subfolders person/ and non_person/ label them.")
@click.option("--board", default=None, metavar="NAME",
              help="Emulated or real board (default qemu_mps2_an500, the emulated Cortex-M7; see `tinygen boards`).")
@click.option("--preprocess", "preprocess", multiple=True, metavar="SETTINGS",
              help="Override the inferred preprocessing, e.g. range=-1,1,color=gray,resize=bilinear.")
@click.option("--person-index", type=click.IntRange(0, None), default=None,
              help="Which output value is the person score (default: 1 of 2 outputs, or the only one).")
@click.option("--threshold", type=float, default=None,
              help="Say 'person' when the score is at least this (default: the largest of 2 outputs; 0.5 for one).")
@click.option("--search", type=click.Path(path_type=Path), default=None, metavar="DATA",
              help="Instead of --model: get a detector from `tinygen search --data DATA`.")
@click.option("--search-budget", type=click.FloatRange(0.5, None), default=10.0, show_default=True, metavar="MIN",
              help="With --search: the search's time budget in minutes.")
@click.option("--port", default=None, help="A real board's serial port (default: the only one there is).")
@click.option("--no-flash", is_flag=True, help="A real board already runs this model's firmware: do not flash.")
@click.option("--project", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where to write a real board's PlatformIO project (default: ./person_detection_BOARD).")
@click.option("--limit", type=click.IntRange(1, None), default=None,
              help="Use only N images, spread evenly over the sorted list.")
@click.option("--timeout", type=click.FloatRange(1, None), default=30.0, show_default=True,
              help="Seconds to wait for the board's banner and for each answer.")
@click.option("--sheet", type=click.Path(dir_okay=False, path_type=Path), default=Path("person_detection.png"),
              show_default=True, help="The PNG contact sheet to write.")
@click.option("--no-sheet", is_flag=True, help="Do not write the contact sheet.")
@planning_options
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def person_detection(model, images, board, preprocess, person_index, threshold, search, search_budget, port,
                     no_flash, project, limit, timeout, sheet, no_sheet, compile_options, as_json) -> None:
    """Run a person detector on a board over a folder of photos; check it against TFLite Micro.

    \b
    Example (the emulated Cortex-M7 in QEMU):
      tinygen demo person-detection --model vww_96_int8.tflite --images photos/
    Each image is preprocessed to the model's input (inferred from its shape
    and quantization; --preprocess overrides), sent to the board over the
    serial protocol, and its answer printed with the cycles it took. TFLite
    Micro runs the same inputs: exit 1 if any output differs. A real --board
    is flashed with PlatformIO (unless --no-flash) and talked to on --port.
    """
    from tinygen.demo.person_detection import run_demo
    from tinygen.demo.preprocess import parse_overrides

    bar = _ProgressBar("images")
    try:
        report = run_demo(model, images, board, parse_overrides(preprocess), person_index, threshold, search,
                          ["--time-budget", f"{search_budget:g}"], port, not no_flash, project, limit, timeout,
                          None if no_sheet else sheet, compile_options=compile_options, progress=bar.update,
                          say=lambda text: click.echo(text, err=True))
    finally:
        bar.close()
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=2))
    else:
        _print_demo(report)
    sys.exit(1 if report.mismatches else 0)


class _ProgressBar:
    """click's progress bar on stderr, created at the first update (when the total is known)."""

    def __init__(self, label: str):
        self.label, self.bar, self.done = label, None, 0

    def update(self, done: int, total: int) -> None:
        if self.bar is None:
            self.bar = click.progressbar(length=total, label=self.label, file=click.get_text_stream("stderr"),
                                         show_pos=True, show_eta=True)
            self.bar.__enter__()
        self.bar.update(done - self.done)
        self.done = done

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


def _print_demo(report) -> None:
    width = max([len("image")] + [len(r.file) for r in report.results])
    click.echo(f"{'image':{width}}  {'score':>6}  {'answer':9}  {'label':9}  {'cycles':>13}  {'ms':>9}")
    for r in report.results:
        truth = "-" if r.truth is None else "person" if r.truth else "no person"
        mark = "" if r.correct is None else "" if r.correct else "  <- wrong"
        if not r.identical:
            mark += "  <- DIFFERS FROM TFLITE MICRO"
        ms = f"{r.ms:9.1f}" if r.ms is not None else f"{'-':>9}"
        click.echo(f"{r.file:{width}}  {r.score:6.3f}  {'person' if r.person else 'no person':9}  {truth:9}  "
                   f"{r.cycles:>13,}  {ms}{mark}")
    click.echo()
    accuracy, reference = report.accuracy(), report.accuracy(reference=True)
    if accuracy:
        click.echo(f"accuracy {accuracy[0]}/{accuracy[1]} = {accuracy[0] / accuracy[1]:.3f} "
                   f"(TFLite Micro on the same inputs: {reference[0]}/{reference[1]})")
        c = report.confusion()
        click.echo("confusion (rows: folder label, columns: answer)")
        click.echo(f"  {'':10} {'person':>9} {'no person':>10}")
        for truth, name in (("person", "person"), ("no_person", "no person")):
            click.echo(f"  {name:10} {c[truth]['person']:>9} {c[truth]['no_person']:>10}")
    else:
        click.echo("no labels (put images in person/ and non_person/ folders for accuracy)")
    cycles = [r.cycles for r in report.results]
    clock = f"; ms at the board's {report.clock_hz / 1e6:g} MHz clock" if report.clock_hz else ""
    click.echo(f"cycles: {report.cycles_unit}{clock}; mean {sum(cycles) / len(cycles):,.0f}")
    if report.sheet:
        click.echo(f"wrote {report.sheet} (contact sheet)")
    bad = report.mismatches
    if bad:
        click.echo(f"MISMATCH: {len(bad)} of {len(report.results)} images give outputs that differ from TFLite Micro:",
                   err=True)
        for r in bad:
            click.echo(f"  {r.file}: board {r.outputs}, TFLite Micro {r.reference}", err=True)
    else:
        click.echo(f"every output identical to TFLite Micro ({len(report.results)} images), "
                   f"{report.seconds:.0f} s in all")


def _numbers(kind):
    """A click callback: "0.35,0.5" -> (0.35, 0.5)."""
    def parse(ctx, param, value):
        if value is None:
            return None
        try:
            return tuple(kind(v) for v in value.replace(" ", "").split(",") if v)
        except ValueError:
            raise click.BadParameter(f"expected comma-separated {kind.__name__}s, got {value!r}") from None

    return parse


@cli.command()
@click.option("--board", required=True, metavar="NAME", help="Target board (see `tinygen boards`).")
@click.option("--data", "data", required=True, type=click.Path(path_type=Path),
              help="ImageFolder directory (one folder per class) or .npz (x_train, y_train[, x_val, y_val]).")
@click.option("-o", "--output", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Output directory: model.tflite, report.json, pareto.png, checkpoints/.")
@click.option("--time-budget", default=10.0, show_default=True, type=float, metavar="MIN",
              help="Minutes for the search, from exploring the space to the exported model.")
@click.option("--sram", "sram_kb", type=float, default=None, metavar="KB",
              help="Peak SRAM limit in KB (1024 bytes; default: the board's largest contiguous SRAM).")
@click.option("--flash", "flash_kb", type=float, default=None, metavar="KB",
              help="Flash limit in KB (default: the board's flash).")
@click.option("--latency", "latency_ms", type=float, default=None, metavar="MS",
              help="Latency limit per inference from a rough per-core cost model (default: none).")
@click.option("--seed", default=0, show_default=True, help="Seed of the split, the samples and the training.")
@click.option("--generate", "generate_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Then generate the firmware sources into DIR, as `tinygen generate --board`.")
@click.option("--baseline", is_flag=True,
              help="Also train a scaled MobileNetV2 that fits the same budget for the same time, and compare "
                   "(adds about the search's time again).")
@click.option("--se", is_flag=True, help="Search squeeze-excite per block as well.")
@click.option("--widths", callback=_numbers(float), default=None, help="Width multipliers to explore, e.g. 0.35,0.5.")
@click.option("--resolutions", callback=_numbers(int), default=None, help="Input resolutions, e.g. 64,96,128.")
@click.option("--depths", callback=_numbers(int), default=None, help="Blocks per stage to choose from, e.g. 1,2,3,4.")
@click.option("--kernels", "kernel_sizes", callback=_numbers(int), default=None, help="Depthwise kernel sizes (3,5,7).")
@click.option("--expansions", callback=_numbers(int), default=None, help="Expansion ratios (3,4,6).")
@click.option("--val-split", default=0.2, show_default=True, help="Share of the images held out for validation.")
@click.option("--samples", type=int, default=None, help="Step 1: networks per (width, resolution) instead of a time share.")
@click.option("--supernet-steps", type=int, default=None, help="Supernet training steps instead of a time share.")
@click.option("--population", type=int, default=None, help="Evolution population (default: from the time).")
@click.option("--generations", type=int, default=None, help="Evolution generations instead of a time share.")
@click.option("--finetune-epochs", type=int, default=None, help="Fine-tuning epochs instead of a time share.")
@click.option("--baseline-epochs", type=int, default=None, help="Baseline epochs instead of the search's time.")
@click.option("--workers", type=int, default=None, help="Processes for step 1 (default: 2).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def search(board: str, data: Path, out_dir: Path, time_budget: float, sram_kb, flash_kb, latency_ms, seed: int,
           generate_dir, baseline: bool, se: bool, widths, resolutions, depths, kernel_sizes, expansions,
           val_split: float, samples, supernet_steps, population, generations, finetune_epochs, baseline_epochs,
           workers, as_json: bool) -> None:
    """Search, train and quantize a network that fits a board's SRAM and flash.

    \b
    MCUNet-style: pick the width and resolution whose fitting networks have
    the most compute, train a weight-sharing supernet, evolve sub-networks
    that fit (peak SRAM from tinygen's own planner, patch-based inference
    included), fine-tune the winner and export it as int8 .tflite.
    Rerunning the same command continues from OUT/checkpoints.
    Needs TensorFlow: pip install 'tinygen[train]'.
    """
    import importlib.util

    from tinygen.nas.search import Settings, run_search

    if importlib.util.find_spec("tensorflow") is None:  # checked without importing it: that waits for the training
        raise TinygenError("tinygen search needs TensorFlow: pip install 'tinygen[train]'")
    settings = Settings(board=board, data=str(data), out=str(out_dir), time_budget=time_budget, sram_kb=sram_kb,
                        flash_kb=flash_kb, latency_ms=latency_ms, seed=seed,
                        generate=str(generate_dir) if generate_dir else None, baseline=baseline, se=se,
                        widths=widths, resolutions=resolutions, depths=depths, kernels=kernel_sizes,
                        expansions=expansions, val_split=val_split, samples=samples, supernet_steps=supernet_steps,
                        population=population, generations=generations, finetune_epochs=finetune_epochs,
                        baseline_epochs=baseline_epochs, workers=workers, quiet=as_json)
    report = run_search(settings)
    if as_json:
        click.echo(json.dumps(report, indent=2, default=_json_default))
        return
    w, t = report["winner"], report["time"]
    click.echo(f"winner: {w['description']}")
    click.echo(f"  {w['macs']:,} MACs, {w['params']:,} parameters; peak SRAM {w['peak_sram_bytes_tflite']:,} B "
               f"(search planned {w['peak_sram_bytes']:,} B), flash {w['flash_bytes']:,} B"
               f"{' (estimate)' if w['flash_is_estimate'] else ''}; "
               f"{'fits' if w['fits'] else 'DOES NOT FIT'} {report['board']['sram_limit_bytes'] / 1024:g} KB SRAM / "
               f"{report['board']['flash_limit_bytes'] / 1024:g} KB flash")
    click.echo(f"  validation accuracy: {w['val_accuracy_float']:.3f} float, {w['val_accuracy_int8']:.3f} int8 "
               f"({report['data']['val_images']} images); bit-exact with TFLite Micro: {w['bit_exact']}")
    for row in report["comparison"][1:]:
        click.echo(f"baseline: {row['model']}: {row['val_accuracy_float']:.3f} float, {row['val_accuracy_int8']:.3f} "
                   f"int8, peak SRAM {row['peak_sram_bytes']:,} B, flash {row['flash_bytes']:,} B")
    click.echo(f"search took {t['search_seconds'] / 60:.1f} of {t['budget_seconds'] / 60:g} min; wrote "
               f"{w['model']}, {out_dir / 'report.json'}, {out_dir / 'pareto.png'}")
