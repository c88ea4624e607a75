"""Commands on a model: inspect, generate, validate, simulate."""
from __future__ import annotations

import json
import sys
from dataclasses import asdict
from pathlib import Path

import click

from tinygen.errors import TinygenError
from tinygen.plain import plain
from tinygen.options import CompileOptions
from tinygen.patch import summary as patch_summary
from tinygen.cli.app import (MODEL, SEED, COUNT, board_named, board_option, cli, compile_for,
                             planning_options, preprocess_option, progress, refuse_link_unless_real, require_fit,
                             require_images_for, serial_options)


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
@click.option("--force", is_flag=True, help="Replace the output directory if it exists, and write the project "
              "even when the model does not fit the board.")
@board_option("Target board; without it, C sources with a host runner")
@click.option("--input", "input_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="The sample input the project starts with (.npy or image; default: a random one): "
                   "inputs.bin for the host runner and emulated boards, built into the firmware of a real board.")
@preprocess_option
@planning_options
@click.option("--json", "as_json", is_flag=True, help="Print a JSON summary.")
def generate(model: Path, out_dir: Path, force: bool, board: str | None, input_file: Path | None, preprocess: dict,
             compile_options: CompileOptions, as_json: bool) -> None:
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
    With a board, a model that does not fit it (see `tinygen simulate`) is
    refused (exit 1) unless --force.
    """
    from tinygen.project import write_project

    if out_dir.exists() and not force:
        raise TinygenError(f"{out_dir} exists; pass --force to replace it")
    target = board_named(board)
    require_images_for(preprocess, [input_file] if input_file else [])
    program = compile_for(model, compile_options, board)
    require_fit(model, program, force)
    files, next_step = write_project(program, target, out_dir, input_file, force, preprocess)
    summary = {"model": str(model), "board": target.name, "output": str(out_dir),
               "arena_bytes": program.plan.arena_bytes, "io_buffer_bytes": program.io_buffer_bytes,
               "state_bytes": program.state_bytes, "patch": program.patch, "files": [str(f) for f in files]}
    if as_json:
        click.echo(json.dumps(summary, indent=2))
    else:
        io = f", input and output buffers {program.io_buffer_bytes:,} bytes" if program.io_buffer_bytes else ""
        state = f", persistent state {program.state_bytes:,} bytes" if program.state_bytes else ""
        click.echo(f"wrote {len(files)} files to {out_dir} (arena {program.plan.arena_bytes:,} bytes{io}{state}); "
                   f"next: {next_step}")


@cli.command()
@MODEL
@click.option("--samples", default=20, show_default=True, type=COUNT,
              help="Random inputs to try.")
@click.option("--input", "input_files", multiple=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Also run this input: .npy with the input's shape and dtype, or an image "
                   "(preprocessed as inferred from the model, or by --preprocess). Repeatable.")
@click.option("--seed", default=0, show_default=True, type=SEED, help="Seed of the random inputs.")
@click.option("--steps", type=click.IntRange(1, None), default=None,
              help="Invokes in a row through one model instance, from its reset state: the inputs run in "
                   "sequences of this many steps, every step compared. [default: 10 for a model with state "
                   "(LSTM, SVDF), 1 otherwise]")
@click.option("--float-model", type=click.Path(dir_okay=False, exists=True, path_type=Path), default=None,
              help="The float original of MODEL: also run it in TFLite Micro on the same real-valued inputs "
                   "and report how far MODEL's outputs are from it (RMSE, MAE, L2 relative error, cosine; "
                   "accuracy of both with labelled --data).")
@click.option("--data", type=click.Path(exists=True, path_type=Path), default=None,
              help="With --float-model, the inputs: a folder of images (in class subfolders for accuracy) or "
                   "a .npz with real-valued x and optional integer labels y (default: --samples random ones).")
@board_option("Run on this board instead of the host: an emulated one in QEMU, a real one flashed with "
              "PlatformIO and served on --port")
@serial_options
@preprocess_option
@planning_options
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def validate(model: Path, samples: int, input_files: tuple, seed: int, steps: int | None, float_model: Path | None,
             data: Path | None, board: str | None, link, preprocess: dict, compile_options: CompileOptions,
             as_json: bool) -> None:
    """Check the generated C bit-exact against the TFLite Micro interpreter.

    Builds the generated code with the host C compiler ($CC, default cc), or
    with arm-none-eabi-gcc for an emulated --board and runs it in QEMU, or for
    a real --board builds and flashes its PlatformIO project and sends the
    inputs over the serial port; runs tflite-micro on the same inputs, and reports the largest absolute
    difference per output. A model with state (variable tensors) keeps it
    from one invoke to the next on both sides: the inputs (random ones, then
    --input files in order) run in sequences of --steps invokes, each from the
    reset state, and every step is compared. Exit 0 only when every output is
    identical, 1 when any differs. With --float-model, also the quantization
    error against the float original (which does not change the exit code).
    """
    if float_model is None and data is not None:
        raise TinygenError("--data gives the inputs of --float-model; without one, use --input FILE")
    if float_model is not None and input_files:
        raise TinygenError("--input files are in the model's own types; with --float-model give real values with --data")
    if samples == 0 and not input_files and data is None:
        raise TinygenError("nothing to validate: give --samples N > 0 or --input FILE")
    refuse_link_unless_real(board_named(board) if board else None)
    require_images_for(preprocess, [*input_files, *(_images_in(data) if data else [])])
    program = compile_for(model, compile_options, board)
    report, comparison = _validate(model, program, samples, input_files, seed, float_model, data, preprocess, link,
                                   steps)
    if as_json:
        click.echo(json.dumps(plain({**asdict(report), "float_comparison": comparison and asdict(comparison)}),
                              indent=2))
    else:
        _print_validation(model, program, report)
        if comparison is not None:
            _print_float_comparison(comparison)
    sys.exit(0 if report.exact else 1)


def _images_in(data: Path) -> list[Path]:
    return [p for p in data.rglob("*") if p.is_file()] if data.is_dir() else []


def _validate(model, program, samples, input_files, seed, float_model, data, preprocess, link, steps):
    from tinygen import accuracy
    from tinygen.validate import validate as run_validation, validate_on

    progress_line = progress("emulated inferences")
    if float_model is None:
        return (run_validation(model, program, samples, input_files, seed, progress_line, preprocess, link, steps),
                None)
    graph = program.graph
    original = accuracy.float_model_graph(float_model, graph)
    real = accuracy.real_data(graph, data, samples, seed, preprocess)
    report, ours = validate_on(model, program, [accuracy.to_model_inputs(graph, s) for s in real.samples],
                               progress_line, link, steps)
    comparison = accuracy.compare_with_float(float_model, original, real,
                                             [accuracy.real_outputs(graph, o) for o in ours])
    return report, comparison


def _print_validation(model: Path, program, report) -> None:
    for o in report.outputs:
        click.echo(f"output '{o.name}' {o.dtype} {'x'.join(map(str, o.shape))}: max |diff| {o.max_abs_diff}"
                   f" ({o.mismatched_samples} of {report.samples} samples differ)")
    if report.patch:
        click.echo(f"patch-based: {patch_summary(report.patch)}; arena {report.arena_bytes:,} bytes")
    if program.graph.dropped_io:
        click.echo("--io int8: the C code reads and writes int8; its values went through the model's own "
                   "QUANTIZE/DEQUANTIZE to meet TFLite Micro's")
    if report.state_bytes:
        click.echo(f"persistent state {report.state_bytes:,} bytes, carried from step to step on both sides")
    verdict = "bit-exact with TFLite Micro" if report.exact else "DIFFERS from TFLite Micro"
    click.echo(f"{model}: {verdict} on {report.samples} inputs{_sequences(report)}")


def _sequences(report) -> str:
    """How the inputs ran, for a model validated in sequences of more than one step."""
    if report.steps == 1:
        return ""
    rest = report.samples % report.steps
    return (f" ({report.sequences} sequence{'s' * (report.sequences != 1)} of {report.steps} steps"
            + (f", the last of {rest}" if rest else "") + ", each from the reset state, every step compared)")


def _print_float_comparison(c) -> None:
    click.echo(f"against the float model {c.float_model} on the same {c.samples} real-valued inputs:")
    width = max([len("output")] + [len(o.name) for o in c.outputs])
    click.echo(f"  {'output':{width}}  {'rmse':>10}  {'mae':>10}  {'l2r':>10}  {'cosine':>8}")
    for o in c.outputs:
        click.echo(f"  {o.name:{width}}  {o.rmse:>10.4g}  {o.mae:>10.4g}  {o.l2r:>10.4g}  {o.cosine:>8.5f}")
    if c.accuracy is not None:
        click.echo(f"  accuracy on {c.labelled} labelled inputs: generated code {c.accuracy:.3f}, "
                   f"float model {c.float_accuracy:.3f}")


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
    SRAM: bytes live at each layer and how far into the arena they reach. Flash:
    the generated C built with arm-none-eabi-gcc -O2 for the board's core
    (exact), or the host compiler's object sizes when that is missing (marked
    as an estimate). The model fits when the arena and the framework's reserve
    fit the RAM the board's link script gives a program, and its flash, the
    firmware's sample input and the reserve fit the link's flash (`tinygen
    boards`). Exit 1 when it does not fit.
    """
    from tinygen.simulate import plot
    from tinygen.simulate import simulate as run_simulation

    program = compile_for(model, compile_options, board)
    report = run_simulation(model, program)
    if plot_file is not None:
        other = "off" if compile_options.patch == "auto" else "auto"
        modes = {compile_options.patch: program, other: compile_for(model, compile_options.but(patch=other), board)}
        plot(model, plot_file, modes)
        report["plot"] = str(plot_file)
    if as_json:
        click.echo(json.dumps(report, indent=2))
    else:
        _print_simulation(report)
    sys.exit(0 if report["fits"] else 1)


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
    if r["io_buffers"] == "separate":
        click.echo(f"  of which     arena {r['arena_bytes']:,} bytes, input and output buffers {r['io_buffer_bytes']:,} "
                   "bytes (--io-buffers separate: outside the arena, they survive invoke)")
    if r["persistent_state_bytes"]:
        click.echo(f"persistent state {r['persistent_state_bytes']:>7,} bytes outside the arena, kept from one invoke to "
                   f"the next ({len(r['persistent_state'])} variable tensors); SRAM {r['sram_bytes']:,} bytes in all")
    flash = r["flash"]
    label = "flash (estimate)" if r["flash_is_estimate"] else "flash"
    if r["reference_ops"]:
        click.echo(f"kernels      {r['kernels']}, but the reference ones at ops "
                   f"{', '.join(map(str, r['reference_ops']))} (what fits the board's flash)")
    click.echo(f"{label:16} {r['flash_bytes']:>7,} bytes: code {flash['code_bytes']:,}, constant data "
               f"{flash['constant_bytes']:,}, initialised data {flash['data_bytes']:,} [{flash['method']}]")
    if flash["static_ram_bytes"] is not None and not r["flash_is_estimate"]:
        click.echo(f"static RAM   {flash['static_ram_bytes']:>11,} bytes (data + bss, the arena included)")
    if r["sram_limit_bytes"] is not None:
        reserve, sample = r["reserve"], r["sample_input_bytes"]
        click.echo(f"SRAM limit   {r['sram_limit_bytes']:>11,} bytes (the link's {r['sram_region']}): with the "
                   f"framework's {reserve['ram_bytes']:,}, {r['sram_used_bytes']:,} used: "
                   f"{'fits' if r['sram_fits'] else 'DOES NOT FIT'}, margin {r['sram_margin_bytes']:,}"
                   f"{pct(r['sram_margin_pct'])}")
        with_sample = f", the sample input's {sample:,}" if sample else ""
        click.echo(f"flash limit  {r['flash_limit_bytes']:>11,} bytes: with the framework's "
                   f"{reserve['flash_bytes']:,}{with_sample}, {r['flash_used_bytes']:,} used: "
                   f"{'fits' if r['flash_fits'] else 'DOES NOT FIT'}, "
                   f"margin {r['flash_margin_bytes']:,}{pct(r['flash_margin_pct'])}")
    click.echo(r["fit_note"])
    if r.get("plot"):
        click.echo(f"wrote {r['plot']}")
