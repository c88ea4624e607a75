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
    click.echo(f"{'name':20} {'core':13} {'clock':>8} {'SRAM':>8} {'link RAM':>9} {'for model':>9} "
               f"{'link flash':>10} {'for model':>9}  emulator")
    for b in known:
        clock = f"{b.clock_hz / 1e6:g} MHz" if b.clock_hz else "-"
        emulator = "-"
        if b.emulator:
            emulator = f"qemu -M {b.emulator['machine']}" + (f" -cpu {b.emulator['cpu']}" if "cpu" in b.emulator else "")
        if b.link is None:
            click.echo(f"{b.name:20} {b.core:13} {clock:>8} {'no limit':>8} {'-':>9} {'no limit':>9} {'-':>10} "
                       f"{'no limit':>9}  {emulator}")
        else:
            click.echo(f"{b.name:20} {b.core:13} {clock:>8} {kib(b.sram_bytes):>8} {kib(b.link.ram.bytes):>9} "
                       f"{kib(b.arena_limit_bytes):>9} {kib(b.link.flash_bytes):>10} {kib(b.flash_limit_bytes):>9}"
                       f"  {emulator}")
    click.echo("\n'link RAM' / 'link flash': what the firmware's link script gives a program (its .data, .bss and "
               "stack; its code and constants); 'for model': that less what the framework and application keep "
               "(`tinygen boards --json`: link.reserve and why).")
