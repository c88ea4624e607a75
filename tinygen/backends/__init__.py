"""Kernel backends: which implementation each lowered call runs.

Lowering (tinygen.ops) always produces calls to the reference kernels, whose arithmetic is
TFLM's. A backend may swap a call for a faster kernel computing the same bits:
- "reference": the reference kernels as they are (portable, plain to read);
- "builtin": tinygen's optimized kernels, specialized per layer, SIMD on cores with the DSP
  extension and portable C elsewhere;
- "cmsis-nn": Arm's CMSIS-NN library where it has the op (needs a CMSIS-NN checkout).
A swapped call declares its own in-place bounds: they depend on the order its kernel works in.
"""
from __future__ import annotations

import importlib

from tinygen.errors import TinygenError
from tinygen.ir import Op
from tinygen.ops import Call

BACKENDS = ("builtin", "reference", "cmsis-nn")


def specialize(op: Op, call: Call, kernels: str, board: dict | None) -> Call:
    if kernels not in BACKENDS:
        raise TinygenError(f"unknown kernels '{kernels}'; choose one of {', '.join(BACKENDS)}")
    if kernels == "reference":
        return call
    module = importlib.import_module(f"tinygen.backends.{kernels.replace('-', '_')}")
    return module.specialize(op, call, board)



def leaner_calls(op: Op, reference: Call, call: Call):
    """Ever leaner replacements for `call` (what a backend made of the reference call of `op`),
    fastest first and the reference kernel last: for a layer at the arena's peak, where a faster
    kernel's scratch or in-place slack is what sets the peak."""
    from tinygen.backends.builtin import leaner

    while (call := leaner(op, reference, call)) is not None:
        yield call
    yield reference
