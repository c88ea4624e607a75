"""The C kernels: reference/ (one per op, TFLite Micro's arithmetic as written), builtin/
(tinygen's optimized ones), cmsis_nn/ (the glue to Arm's CMSIS-NN), common/ (headers they share).

Generated code gets the ones it calls in one flat kernels/ folder, so they include each other by
file name. There every file starts by including tg_names.h, which the generated code writes: it
renames each external kernel function to the model's prefix (`#define opt_conv_s8
kws_opt_conv_s8`), so that the kernels of several models link into one firmware.
"""
from __future__ import annotations

import re
from functools import cache
from pathlib import Path

FOLDERS = ("common", "reference", "builtin", "cmsis_nn")
_INCLUDE = re.compile(r'^#include "([\w.]+)"', re.MULTILINE)
# A function declaration at file level: `type name(parameters);`, perhaps over several lines (static
# and inline functions have no external name, so no rename).
_DECLARATION = re.compile(
    r"^(?!static\b|typedef\b|TG_ALWAYS_INLINE\b)[A-Za-z_][\w \t*]*?\b([A-Za-z_]\w*)\s*\([^;{}]*\)\s*;", re.MULTILINE)
NAMES_HEADER = "tg_names.h"


@cache
def _index() -> dict[str, Path]:
    root = Path(__file__).resolve().parent
    return {p.name: p for folder in FOLDERS for p in sorted((root / folder).glob("*.[ch]"))}


def kernel_file(name: str) -> Path:
    """The kernel file called `name` (e.g. "opt_conv.h")."""
    return _index()[name]


def kernel_files(headers, sources) -> list[Path]:
    """The files for these header and source stems, with every header they include, transitively."""
    wanted = [f"{stem}.h" for stem in headers] + [f"{stem}.c" for stem in sources]
    found: dict[str, Path] = {}
    while wanted:
        name = wanted.pop()
        if name in found or name not in _index():
            continue
        found[name] = _index()[name]
        wanted += _INCLUDE.findall(found[name].read_text())
    return [found[name] for name in sorted(found)]


def external_functions(files) -> list[str]:
    """The external functions the headers among these kernel files declare, sorted."""
    return sorted({name for p in files if p.suffix == ".h" for name in _DECLARATION.findall(Path(p).read_text())})
