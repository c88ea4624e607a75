"""Every C parameter struct the generated code fills has a record in Python, field for field."""
import importlib
import re

import pytest

from tinygen.kernels import FOLDERS, kernel_file
from tinygen.ops import parse_fields, records

TYPEDEF = re.compile(r"typedef\s+struct\s*\{(.*?)\}\s*(\w+)\s*;", re.DOTALL)


def header_typedefs() -> dict[str, list[tuple[str, str]]]:
    found = {}
    root = kernel_file("tg_common.h").parents[1]
    for folder in FOLDERS:
        for header in sorted((root / folder).glob("*.h")):
            for body, name in TYPEDEF.findall(header.read_text()):
                found[name] = parse_fields(body)
    return found


def declared_records():
    for module in ("tinygen.backends.builtin", "tinygen.backends.cmsis_nn", "tinygen.patch"):
        importlib.import_module(module)
    return records()


@pytest.mark.parametrize("record", declared_records(), ids=lambda r: r.ctype)
def test_record_matches_its_typedef(record):
    assert header_typedefs()[record.ctype] == record.fields


def test_every_parameter_struct_has_one_record():
    structs = {name for name in header_typedefs() if name.endswith(("_params", "_walk"))}
    declared = [r.ctype for r in declared_records()]
    assert sorted(declared) == sorted(set(declared)) == sorted(structs)


def test_a_forgotten_field_is_an_error_not_a_zero():
    record = next(r for r in declared_records() if r.ctype == "tg_tile_fill_params")
    assert record({"bytes": 4, "value": 0}).fields == {"bytes": 4, "value": 0}
    with pytest.raises(AssertionError, match=r"missing fields \['value'\]"):
        record({"bytes": 4})
    with pytest.raises(AssertionError, match=r"unknown fields \['colour'\]"):
        record({"bytes": 4, "value": 0, "colour": 1})
