"""`tinygen boards`."""
from __future__ import annotations

import json

import click

from tinygen.cli.app import cli, kib


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
            click.echo(f"{b.name:20} {b.core:11} {clock:>8} {kib(b.sram_bytes):>8} {kib(b.arena_limit_bytes):>8} "
                       f"{kib(b.flash_bytes):>8}  {emulator}")
    click.echo("\n'largest' is the largest contiguous SRAM an arena can use (adjacent regions count as one).")
