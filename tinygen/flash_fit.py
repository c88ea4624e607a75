"""The builtin kernels within a board's flash: where a model compiled with them does not fit the
board's flash, first the convolutions keep 8-bit weights (CompileOptions.wide_weights); where that
is not enough but the reference kernels fit, some ops go back to their reference kernel
(CompileOptions.reference_ops), those that give up the fewest MACs per byte saved first, until it
fits.

The optimized kernels cost flash: their code is specialized per layer and their weights are laid
out for the inner loops (widened, padded, requantization constants per lane). What each op costs
is measured, not guessed: one build with the builtin kernels and one with the reference kernels
everywhere, as `tinygen simulate` builds them, give every step function's code and every kernel
function's (each step is a function of its own in model.c), and the calls give each op's constant
data. Every choice is then built and measured again; one that falls short takes more ops.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from tinygen.backends.builtin import estimated_flash
from tinygen.compiler import Program, compile_model
from tinygen.ir import Tensor
from tinygen.ops import Struct
from tinygen.options import CompileOptions

TRIES = 4  # measured choices before giving every op its reference kernel


@dataclass
class Build:
    """What one measured build of a program spends, per op (by its index in the source model)."""
    over: int  # flash beyond the board's (negative: spare)
    own: dict[int, int]  # an op's constant data and the code of its steps' functions
    functions: dict[str, tuple[int, frozenset]]  # an out-of-line kernel: its code and the ops calling it
    macs: dict[int, int]  # of the ops with optimized kernels


def compile_within_flash(path: str | Path, options: CompileOptions, board,
                         report: Callable[[str], None] = lambda line: None) -> Program:
    """compile_model(path, options, board), with reference kernels at as few ops as it takes for
    the flash to fit (builtin kernels, --optimize other than speed, a board with a flash limit),
    after 8-bit weights everywhere (none pre-widened) where those alone do not fit, and kept so
    while ops take reference kernels (widening again would spend the bytes they free, and the
    estimates would miss it); `report` told of each build. Unchanged where it fits already, and
    where reference kernels everywhere do not fit either."""
    program = compile_model(path, options, board)
    if options.kernels != "builtin" or options.optimize == "speed" or _surely_fits(program):
        return program
    builtin = measure(program)
    candidates = sorted(builtin.macs)
    if builtin.over <= 0 or not candidates:
        return program
    original, over = program, builtin.over
    if _widened(program):  # first the flash spent on speed within the builtin kernels
        options = options.but(wide_weights=False)
        program = compile_model(path, options, board)
        narrow = measure(program)
        if narrow.over <= 0:
            report(f"flash: {over:,} bytes over {board.name}'s with the builtin kernels; with 8-bit "
                   f"weights (none pre-widened): fits, {-narrow.over:,} bytes spare")
            return program
        builtin = narrow
    everything = compile_model(path, options.but(reference_ops=tuple(candidates)), board)
    reference = measure(everything)
    if reference.over > 0:
        return original  # the verdict on the builtin kernels says what does not fit
    if not builtin.own:  # no linked image to read (no arm-none-eabi-gcc): nothing to choose by
        report(f"flash: {over:,} bytes over {board.name}'s with the builtin kernels by the host's estimate; "
               "without arm-none-eabi-gcc to measure them op by op, reference kernels everywhere")
        return everything
    report(f"flash: {over:,} bytes over {board.name}'s with the builtin kernels, "
           f"{-reference.over:,} spare with the reference ones; choosing ops for the reference kernels")
    chosen: set[int] = set()
    saved, needed = 0, builtin.over
    for _ in range(TRIES):
        chosen, saved = choose(builtin, reference, candidates, chosen, saved, needed)
        fitted = compile_model(path, options.but(reference_ops=tuple(sorted(chosen))), board)
        missing = measure(fitted).over
        if missing <= 0:
            report(f"flash: ops {', '.join(map(str, sorted(chosen)))} ({len(chosen)} of {len(candidates)}) keep "
                   f"their reference kernel: fits, {-missing:,} bytes spare")
            return fitted
        report(f"flash: {len(chosen)} of {len(candidates)} ops on reference kernels: {missing:,} bytes over")
        needed += missing
    report("flash: reference kernels everywhere")
    return everything


def _widened(program: Program) -> bool:
    """Whether some builtin convolution stores its weights pre-widened."""
    return any(call.kernel == "opt_conv" and call.args[0].fields["wide"] for _, call in program.calls)


def _surely_fits(program: Program) -> bool:
    """Whether the program fits its board's flash by a margin no build could miss (the boards of
    emulators have megabytes): builtin.estimated_flash with twice its allowance for code (the
    allowance was above the measured code of every shared model on every core class, which came
    to at most 0.97 of it, on the Cortex-M3)."""
    board = program.target
    if board.flash_limit_bytes is None:
        return True
    calls = [call for _, call in program.calls]
    sample = board.sample_input_bytes(program.graph.inputs)
    return estimated_flash(calls, sample, code_margin=2) <= board.flash_limit_bytes


def measure(program: Program) -> Build:
    """The program built for its board as `tinygen simulate` builds it, its flash per op: the
    symbols of its steps' functions and constants (codegen.symbol_origin), and of the out-of-line
    kernels they call."""
    from tinygen.codegen import symbol_origin
    from tinygen.simulate import fit_of, flash_use

    verdict = fit_of(program)
    sizes = _by_name(flash_use(program, program.target).symbols, program.options.prefix)
    owners: dict[str, dict[int, int]] = {"call": {}, "tensor": {}}  # call k / tensor N -> its op
    users: dict[str, set] = {}
    macs: dict[int, int] = {}
    for k, (op, call) in enumerate(program.calls):
        owners["call"][k] = op.index
        for t in _constant_tensors(call.args):
            owners["tensor"].setdefault(t.index, op.index)
        users.setdefault(call.function, set()).add(op.index)
        if op.index >= 0 and call.kernel.startswith(("opt_", "mve_")):
            macs[op.index] = macs.get(op.index, 0) + call.macs
    own: dict[int, int] = {}
    for name, size in sizes.items():
        kind, number = symbol_origin(name) or ("", 0)
        owner = owners.get(kind, {}).get(number)
        if owner is not None:
            own[owner] = own.get(owner, 0) + size
    functions = {name: (sizes[name], frozenset(ops)) for name, ops in users.items() if name in sizes}
    return Build(-verdict["flash_margin_bytes"], own, functions, macs)


def _by_name(symbols: dict[str, int], prefix: str) -> dict[str, int]:
    """Bytes per symbol as the generated C names it: without the prefix of exported symbols, nor
    the suffix of GCC's clones (.constprop.0, .isra.0, ...)."""
    sizes: dict[str, int] = {}
    for symbol, size in symbols.items():
        name = symbol.split(".")[0].removeprefix(f"{prefix}_")
        sizes[name] = sizes.get(name, 0) + size
    return sizes


def _constant_tensors(value):
    """The constant tensors among a call's arguments (in parameter structs too)."""
    if isinstance(value, Tensor):
        if value.is_const:
            yield value
    elif isinstance(value, Struct):
        yield from _constant_tensors(list(value.fields.values()))
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _constant_tensors(item)


def choose(builtin: Build, reference: Build, candidates: list[int], chosen: set[int], saved: int,
           needed: int) -> tuple[set[int], int]:
    """`chosen` (estimated to save `saved` bytes) and more candidates, one at a time the one that
    gives up the fewest MACs per byte it saves given those before it, until the estimate reaches
    `needed` bytes (or none saves any more); and the estimate."""
    chosen = set(chosen)
    while saved < needed:
        gains = {i: _saving(builtin, reference, i, chosen) for i in candidates if i not in chosen}
        useful = {i: g for i, g in gains.items() if g > 0}
        if not useful:
            break
        best = min(useful, key=lambda i: builtin.macs[i] / useful[i])
        chosen.add(best)
        saved += useful[best]
    return chosen, saved


def _saving(builtin: Build, reference: Build, op: int, chosen: set[int]) -> int:
    """Bytes the reference kernel of `op` saves with the ops `chosen` on theirs already: its own
    bytes of each build, an optimized kernel function no op left calls, less a reference kernel
    function no op called before."""
    after = chosen | {op}
    saving = builtin.own.get(op, 0) - reference.own.get(op, 0)
    for size, ops in builtin.functions.values():
        if op in ops and ops <= after:
            saving += size
    for name, (size, ops) in reference.functions.items():
        if op in ops and name not in builtin.functions and not ops & chosen:
            saving -= size
    return saving
