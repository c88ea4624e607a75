"""The `tinygen` command line.

Exit codes: 0 success; 1 the check ran and failed (e.g. outputs differ from TFLite Micro);
2 bad input (unreadable or unsupported model, bad option, existing output directory).
"""
from __future__ import annotations

import json
import shutil
import sys
import tempfile
from dataclasses import asdict
from pathlib import Path

import click

from tinygen.errors import TinygenError

MODEL = click.argument("model", type=click.Path(dir_okay=False, path_type=Path))


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
      tinygen generate model.tflite -o out/   C sources (model.c, model.h, kernels/)
      tinygen validate model.tflite           bit-exact check against TFLite Micro
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
@click.option("--json", "as_json", is_flag=True, help="Print a JSON summary.")
def generate(model: Path, out_dir: Path, force: bool, as_json: bool) -> None:
    """Generate C sources for MODEL into a new directory.

    \b
    The directory gets model.h / model.c (weights as const data, one static
    arena, tinygen_invoke()), kernels/ with the kernels the model uses, and a
    host runner (main.c, Makefile) that reads raw inputs on stdin and writes
    raw outputs on stdout.
    """
    from tinygen import codegen
    from tinygen.compiler import compile_model

    if out_dir.exists() and not force:
        raise TinygenError(f"{out_dir} exists; pass --force to replace it")
    program = compile_model(model)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}-", dir=out_dir.parent))
    try:
        files = codegen.render(program, staging)
        if out_dir.exists():
            shutil.rmtree(out_dir)
        staging.rename(out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    summary = {"model": str(model), "output": str(out_dir), "arena_bytes": program.plan.arena_bytes,
               "files": sorted(str(out_dir / f.relative_to(staging)) for f in files)}
    if as_json:
        click.echo(json.dumps(summary, indent=2))
    else:
        click.echo(f"wrote {len(files)} files to {out_dir} (arena {program.plan.arena_bytes:,} bytes); "
                   f"build the host runner with: make -C {out_dir}")


@cli.command()
@MODEL
@click.option("--samples", default=20, show_default=True, type=click.IntRange(0, None),
              help="Random inputs to try.")
@click.option("--input", "input_files", multiple=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Also run this input: .npy with the input's shape and dtype, or an image "
                   "(resized bilinearly, pixels/255, quantized with the input's scale). Repeatable.")
@click.option("--seed", default=0, show_default=True, help="Seed of the random inputs.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def validate(model: Path, samples: int, input_files: tuple, seed: int, as_json: bool) -> None:
    """Check the generated C bit-exact against the TFLite Micro interpreter.

    Builds the generated code with the host C compiler ($CC, default cc), runs
    it and tflite-micro on the same inputs, and reports the largest absolute
    difference per output. Exit 0 only when every output is identical, 1 when
    any differs.
    """
    from tinygen.validate import validate as run_validation

    if samples == 0 and not input_files:
        raise TinygenError("nothing to validate: give --samples N > 0 or --input FILE")
    report = run_validation(model, samples, input_files, seed)
    if as_json:
        click.echo(json.dumps(asdict(report), indent=2, default=_json_default))
    else:
        for o in report.outputs:
            click.echo(f"output '{o.name}' {o.dtype} {'x'.join(map(str, o.shape))}: max |diff| {o.max_abs_diff}"
                       f" ({o.mismatched_samples} of {report.samples} samples differ)")
        verdict = "bit-exact with TFLite Micro" if report.exact else "DIFFERS from TFLite Micro"
        click.echo(f"{model}: {verdict} on {report.samples} inputs")
    sys.exit(0 if report.exact else 1)


def _json_default(value):
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"not JSON serializable: {type(value)}")
