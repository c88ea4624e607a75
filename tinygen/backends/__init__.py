"""Kernel backends: which implementation each lowered call runs.

Lowering (tinygen.ops) always produces calls to the reference kernels, whose arithmetic is
TFLM's. A backend may swap a call for a faster kernel computing the same bits:
- "reference": the reference kernels as they are (portable, plain to read);
- "builtin": tinygen's optimized kernels, specialized per layer, SIMD on cores with the DSP
  extension and portable C elsewhere;
- "cmsis-nn": Arm's CMSIS-NN library where it has the op (needs a CMSIS-NN checkout).
A swapped call declares its own in-place bounds: they depend on the order its kernel works in.
The optimized backends are int8 kernels: a layer with int16 activations (TFLM's 16x8 mode)
keeps its reference kernel under every backend.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field

from tinygen.ir import Op
from tinygen.ops import Call

WITH_LIBRARIES = ("cmsis_nn",)  # backends whose calls need a library's sources to build


@dataclass
class BuildNeeds:
    sources: list[str] = field(default_factory=list)  # C files outside the generated folder
    include_dirs: list[str] = field(default_factory=list)
    platformio: dict | None = None  # what platformio.ini needs for them: lib_deps, extra_script


def build_needs(program) -> BuildNeeds:
    """What the program's calls need beyond the generated files, from every backend that has any."""
    needs = BuildNeeds()
    for name in WITH_LIBRARIES:
        more = importlib.import_module(f"tinygen.backends.{name}").build_needs(program)
        needs.sources += more.sources
        needs.include_dirs += more.include_dirs
        needs.platformio = needs.platformio or more.platformio
    return needs


def specialize(op: Op, call: Call, options, target, wide: frozenset = frozenset()) -> Call:
    """The call of `options.kernels` (tinygen.options.CompileOptions) for `op` on `target` (a
    tinygen.boards.Board, None for the host); `wide` (builtin only): the ops (their ids) of
    the convolutions that store their weights pre-widened (widened_layers). The ops in
    `options.reference_ops` keep their reference call."""
    if options.kernels == "reference" or op.has_int16_activations or op.index in options.reference_ops:
        return call
    if options.kernels == "builtin":
        from tinygen.backends import builtin

        return builtin.specialize(op, call, options, target, wide)
    module = importlib.import_module(f"tinygen.backends.{options.kernels.replace('-', '_')}")
    return module.specialize(op, call, options, target)


def widened_layers(graph, calls: list[tuple[Op, Call]], options, target) -> frozenset:
    """The ops (their ids) of the convolutions whose weights the builtin kernels store pre-widened on
    `target`, given the calls lowered without (faster for more flash: see builtin.widened_layers)."""
    if options.kernels != "builtin" or not options.wide_weights:
        return frozenset()
    from tinygen.backends import builtin

    return builtin.widened_layers(graph, calls, target)


def leaner_calls(op: Op, reference: Call, call: Call):
    """Ever leaner replacements for `call` (what a backend made of the reference call of `op`),
    fastest first and the reference kernel last: for a layer at the arena's peak, where a faster
    kernel's scratch or in-place slack is what sets the peak."""
    from tinygen.backends.builtin import leaner

    while (call := leaner(op, reference, call)) is not None:
        yield call
    yield reference
