"""Where the package data (templates/, boards/) is.

`pip install .` maps the repo's top-level templates/ and boards/ into the package as
tinygen.templates and tinygen.board_files. A source checkout reads them in place, and does so
first: with an editable install of one checkout, another checkout (a git worktree) imported through
PYTHONPATH would otherwise render the first checkout's templates.
"""
from __future__ import annotations

from importlib import resources
from pathlib import Path


def data_dir(name: str, package: str | None = None) -> Path:
    """The checkout's top-level `name` directory when tinygen runs from a source checkout, else
    the installed package tinygen.<package> (default: the same name)."""
    checkout = Path(__file__).resolve().parent.parent
    if (checkout / "pyproject.toml").is_file() and (checkout / name).is_dir():
        return checkout / name
    return Path(str(resources.files(f"tinygen.{package or name}")))
