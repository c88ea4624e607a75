"""`tinygen search`."""
from __future__ import annotations

import json
from pathlib import Path

import click

from tinygen.errors import TinygenError
from tinygen.cli.app import AT_LEAST_ONE, COUNT, POSITIVE, SEED, Number, cli
from tinygen.plain import plain


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
@click.option("--time-budget", default=10.0, show_default=True, type=POSITIVE, metavar="MIN",
              help="Minutes for the search, from exploring the space to the exported model.")
@click.option("--sram", "sram_kb", type=POSITIVE, default=None, metavar="KB",
              help="Peak SRAM limit in KB (1024 bytes; default: the board's largest contiguous SRAM).")
@click.option("--flash", "flash_kb", type=POSITIVE, default=None, metavar="KB",
              help="Flash limit in KB (default: the board's flash).")
@click.option("--latency", "latency_ms", type=POSITIVE, default=None, metavar="MS",
              help="Latency limit per inference from a rough per-core cost model (default: none).")
@click.option("--seed", default=0, show_default=True, type=SEED, help="Seed of the split, the samples and the training.")
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
@click.option("--val-split", default=0.2, show_default=True, type=Number(0, 0.9, min_open=True, max_open=True),
              help="Share of the images held out for validation.")
@click.option("--samples", type=AT_LEAST_ONE, help="Step 1: networks per (width, resolution) instead of a time share.")
@click.option("--supernet-steps", type=COUNT, help="Supernet training steps instead of a time share.")
@click.option("--population", type=click.IntRange(2, None), help="Evolution population (default: from the time).")
@click.option("--generations", type=COUNT, help="Evolution generations instead of a time share.")
@click.option("--finetune-epochs", type=COUNT, help="Fine-tuning epochs instead of a time share.")
@click.option("--baseline-epochs", type=COUNT, help="Baseline epochs instead of the search's time.")
@click.option("--workers", type=AT_LEAST_ONE, help="Processes for step 1 (default: 2).")
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
        click.echo(json.dumps(plain(report), indent=2))
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
