"""Where the package data (templates/, boards/) is.

`pip install .` maps the repo's top-level templates/ and boards/ into the package as
tinygen.templates and tinygen.board_files. A source checkout reads them in place, also when an
editable install of another checkout is on the path (a worktree imported through PYTHONPATH must
not render the other checkout's templates).
"""
from __future__ import annotations

from importlib import resources
from pathlib import Path


def data_dir(name: str, package: str | None = None) -> Path:
    """The directory `name` beside the tinygen package when this is a source checkout, else the
    installed package data `tinygen.<package>` (`package` defaults to `name`)."""
    checkout = Path(__file__).resolve().parent.parent / name
    if (Path(__file__).resolve().parent.parent / "pyproject.toml").is_file() and checkout.is_dir():
        return checkout
    try:
        installed = Path(str(resources.files(f"tinygen.{package or name}")))
        if installed.is_dir():
            return installed
    except ModuleNotFoundError:
        pass
    return checkout
