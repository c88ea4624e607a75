"""`tinygen demo person-detection`."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from tinygen.cli.app import AT_LEAST_ONE, COUNT, Number, cli, planning_options, preprocess_option, progress


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
@preprocess_option
@click.option("--person-index", type=COUNT, default=None,
              help="Which output value is the person score (default: 1 of 2 outputs, or the only one).")
@click.option("--threshold", type=Number(), default=None,
              help="Say 'person' when the score is at least this (default: the largest of 2 outputs; 0.5 for one).")
@click.option("--search", type=click.Path(path_type=Path), default=None, metavar="DATA",
              help="Instead of --model: get a detector from `tinygen search --data DATA`.")
@click.option("--search-budget", type=Number(0.5, None), default=10.0, show_default=True, metavar="MIN",
              help="With --search: the search's time budget in minutes.")
@click.option("--port", default=None, help="A real board's serial port (default: the only one there is).")
@click.option("--no-flash", is_flag=True, help="A real board already runs this model's firmware: do not flash.")
@click.option("--project", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where to write a real board's PlatformIO project (default: ./person_detection_BOARD).")
@click.option("--limit", type=AT_LEAST_ONE, default=None,
              help="Use only N images, spread evenly over the sorted list.")
@click.option("--timeout", type=Number(1, None), default=30.0, show_default=True,
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

    report = run_demo(model, images, board, preprocess, person_index, threshold, search,
                      {"time_budget": search_budget}, port, not no_flash, project, limit, timeout,
                      None if no_sheet else sheet, options=compile_options, progress=progress("images"),
                      say=lambda text: click.echo(text, err=True))
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=2))
    else:
        _print_demo(report)
    sys.exit(1 if report.mismatches else 0)


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
