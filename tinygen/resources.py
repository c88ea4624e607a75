"""Where the installed package data (templates/, boards/) is.

`pip install .` maps the repo's top-level templates/ and boards/ into the package as
tinygen.templates and tinygen.boards; a source checkout used without installing reads them in place.
"""
from __future__ import annotations

from importlib import resources
from pathlib import Path


def data_dir(name: str) -> Path:
    try:
        installed = Path(str(resources.files(f"tinygen.{name}")))
        if installed.is_dir():
            return installed
    except ModuleNotFoundError:
        pass
    return Path(__file__).resolve().parent.parent / name
