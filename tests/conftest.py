"""Test tiers: each folder is a marker (pytest -m unit, -m "not emulation and not nas", ...).

- unit: the planner, boards, options, records, bad input, packaging: seconds, no TensorFlow;
- ops: every op and kernel backend bit-exact with TFLite Micro on the host;
- models: real and built models end to end on the host (validate, simulate, patch stages);
- emulation: firmware under QEMU on the emulated Cortex-M boards;
- nas: the architecture search (TensorFlow);
- fuzz: mutated models through every command, accepted ones under the sanitizers against TFLM.
"""
from pathlib import Path

import pytest

TIERS = ("unit", "ops", "models", "emulation", "nas", "fuzz")


def pytest_collection_modifyitems(items):
    for item in items:
        tier = Path(str(item.fspath)).parent.name
        if tier in TIERS:
            item.add_marker(getattr(pytest.mark, tier))
