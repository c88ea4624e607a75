"""Writing outputs so that a failure leaves nothing behind.

A directory or file is written beside its final place under a hidden temporary name and renamed
into place at the end. Whatever fails on the way (the write, the model, an interruption) removes
the temporary, and any parent directories made for it; an existing directory is replaced only
when asked, and only once its replacement is complete. A place that cannot be written (a parent
that is a file, /proc, no permission, a full disk) is one line naming it, exit 2.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from tinygen.errors import TinygenError


def _make_parents(target: Path, directory: Path, made: list[Path]) -> None:
    """Creates `directory` (where `target` goes) and the parents it lacks; the outermost one made
    is noted in `made`, to be removed on failure."""
    chain = [directory, *directory.parents]
    present = next(p for p in chain if p.exists())
    if not present.is_dir():
        raise TinygenError(f"{target}: cannot write there ({present} is not a directory)")
    made.extend([p for p in chain if not p.exists()][-1:])
    directory.mkdir(parents=True, exist_ok=True)


def _usual_mode(path: Path, mode: int) -> None:
    """tempfile makes private files and directories; outputs get the permissions of a new one."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(path, mode & ~umask)


@contextmanager
def _undo_on_failure(target: Path) -> Iterator[list[Path]]:
    """Paths appended to the list are removed if the block fails; an OSError becomes one line."""
    made: list[Path] = []
    try:
        yield made
    except OSError as e:
        _remove(made)
        raise TinygenError(f"{target}: cannot write there ({e.strerror or type(e).__name__})") from None
    except BaseException:
        _remove(made)
        raise


def _remove(paths: list[Path]) -> None:
    for path in reversed(paths):
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)


@contextmanager
def staged_directory(out_dir: Path, force: bool = False) -> Iterator[Path]:
    """A new empty directory to write into, renamed to `out_dir` when the block succeeds."""
    out_dir = Path(out_dir)
    if out_dir.exists() and not force:
        raise TinygenError(f"{out_dir} exists; pass --force to replace it")
    if out_dir.exists() and not out_dir.is_dir():
        raise TinygenError(f"{out_dir} exists and is not a directory; not replacing it")
    with _undo_on_failure(out_dir) as made:
        _make_parents(out_dir, out_dir.parent, made)
        staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}-", dir=out_dir.parent))
        made.append(staging)
        _usual_mode(staging, 0o777)
        yield staging
        _rename_over(staging, out_dir)


def _rename_over(staging: Path, out_dir: Path) -> None:
    """An existing `out_dir` is moved aside first, and removed only once `staging` took its place."""
    if not out_dir.exists():
        staging.rename(out_dir)
        return
    aside = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}-old-", dir=out_dir.parent))
    os.replace(out_dir, aside / out_dir.name)
    try:
        staging.rename(out_dir)
    except OSError:
        os.replace(aside / out_dir.name, out_dir)
        aside.rmdir()
        raise
    shutil.rmtree(aside, ignore_errors=True)


@contextmanager
def staged_file(path: Path) -> Iterator[Path]:
    """A temporary path beside `path` (with its suffix, which picks image formats) to write the
    file to; renamed to `path` when the block succeeds."""
    path = Path(path)
    if path.is_dir():
        raise TinygenError(f"{path} is a directory; give a file name")
    with _undo_on_failure(path) as made:
        _make_parents(path, path.parent, made)
        handle, name = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=path.suffix, dir=path.parent)
        os.close(handle)
        made.append(Path(name))
        _usual_mode(Path(name), 0o666)
        yield Path(name)
        os.replace(name, path)


def writable_directory(directory: Path) -> Path:
    """`directory`, created with its parents if missing, for outputs kept across runs (the
    search's checkpoints); a place that cannot be written is one line."""
    directory = Path(directory)
    with _undo_on_failure(directory) as made:
        _make_parents(directory, directory, made)
        made.clear()  # kept: it is the output
    return directory
