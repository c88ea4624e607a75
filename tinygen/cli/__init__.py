"""The `tinygen` command line: a group (app.py) and its commands, one module per area; importing
them registers the commands."""
from tinygen.cli import board_list, demo, firmware, model, search
from tinygen.cli.app import cli, main

__all__ = ["board_list", "cli", "demo", "firmware", "main", "model", "search"]
