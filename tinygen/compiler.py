"""From a .tflite file to a `Program`: the IR after passes, one kernel call per op, and the arena plan."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, NamedTuple
from pathlib import Path

from memory_planner import Overlap, Plan, StepUse, lifetimes, low_memory_order, place
from tinygen.errors import TinygenError
from tinygen.frontend import load_model
from tinygen.ir import Graph, Op, Tensor
from tinygen.backends import leaner_calls, specialize
from tinygen.ops import Alias, Call, call_scratches, lower
from tinygen.passes import run_passes
from tinygen.patch import Stage, build_stage, candidate_stages, describe, stage_chain


@dataclass
class Step:
    op: Op
    call: Call | Alias | Stage


@dataclass
class Program:
    graph: Graph
    steps: list[Step]
    plan: Plan
    offsets: dict  # id(tensor) or id(Scratch) -> arena offset
    patch: dict | None = None  # the patch-based stage, when one is used: {"ops", "tiles", "mac_overhead", ...}

    def offset(self, item) -> int:
        return self.offsets[id(item)]

    @property
    def calls(self) -> list[tuple[Op, Call]]:
        """Every kernel call in execution order, a patch stage's tile by tile."""
        calls = []
        for s in self.steps:
            if isinstance(s.call, Stage):
                calls.extend(s.call.calls)
            elif isinstance(s.call, Call):
                calls.append((s.op, s.call))
        return calls

    @property
    def macs(self) -> int:
        return sum(call.macs for _, call in self.calls)


def compile_model(path: str | Path, patch="off", max_mac_overhead: float = 0.2,
                  kernels: str = "reference", board: dict | None = None, memory_first: bool = True) -> Program:
    """patch="auto" runs the memory-heaviest first stage tile by tile where that lowers peak SRAM
    within `max_mac_overhead` extra MACs (a fraction of the model's MACs); "off" plans layer by
    layer; a pair (ops, n) forces the first `ops` ops of the stage in n x n tiles.
    `kernels` picks the backend (tinygen.backends) for the target `board` (None: the host);
    memory_first lets the reference kernel replace a faster one at the layer that sets the peak
    when that lowers the arena."""
    try:
        return compile_graph(load_model(path), patch, max_mac_overhead, kernels, board, memory_first)
    except TinygenError as e:
        message = str(e)
        raise TinygenError(message if message.startswith(str(path)) else f"{path}: {message}") from None


def compile_graph(graph: Graph, patch="off", max_mac_overhead: float = 0.2, kernels: str = "reference",
                  board: dict | None = None, memory_first: bool = True) -> Program:
    """compile_model for a graph already in memory (e.g. one a search builds without TensorFlow)."""
    if patch not in ("auto", "off") and not isinstance(patch, tuple):
        raise TinygenError(f"--patch must be auto or off, not {patch!r}")
    lower_op = lambda op: _lower(op, kernels, board)  # noqa: E731
    run_passes(graph)
    steps = [Step(op, lower_op(op)) for op in graph.ops]
    best = Program(graph, *plan_memory(graph, steps))
    model_macs = best.macs
    if isinstance(patch, tuple):
        length, n = patch
        chain = stage_chain(graph)[:length]
        if len(chain) < length:
            raise TinygenError(f"the first {length} ops cannot form a patch stage (at most {len(chain)})")
        best = _staged(graph, steps, build_stage(chain, n, sum(lower_op(op).macs for op in chain), lower_op),
                       model_macs)
    elif patch == "auto":
        for stage in candidate_stages(graph, model_macs, max_mac_overhead, lower_op):
            candidate = _staged(graph, steps, stage, model_macs)
            if candidate.plan.arena_bytes < best.plan.arena_bytes:
                best = candidate
    if memory_first and kernels != "reference":
        best = _relieve_peak(graph, best)
    return choose_directions(best)


def _relieve_peak(graph: Graph, program: Program, rounds: int = 8) -> Program:
    """Memory first: where a faster kernel's scratch or narrower in-place overlap sets the peak,
    run a leaner variant of it at that layer (the reference kernel last), as long as the arena
    shrinks."""
    for _ in range(rounds):
        trial = next(filter(None, (_leaner_at(graph, program, i) for i in _peak_steps(program))), None)
        if trial is None:
            return program
        program = trial
    return program


def _leaner_at(graph: Graph, program: Program, i: int) -> Program | None:
    """The program with the leaner call at step i that shrinks the arena most (the fastest of
    those that shrink it as much), or None."""
    step = program.steps[i]
    if not isinstance(step.call, Call):
        return None
    reference = lower(step.op)
    if reference.kernel == step.call.kernel:
        return None
    best = None
    for call in leaner_calls(step.op, reference, step.call):
        steps = program.steps[:i] + [Step(step.op, call)] + program.steps[i + 1:]
        trial = Program(graph, *plan_memory(graph, steps), patch=program.patch)
        if trial.plan.arena_bytes < (best or program).plan.arena_bytes:
            best = trial
    return best


def _peak_steps(program: Program) -> list[int]:
    """The steps at which the live buffers reach the end of the arena."""
    ends: dict[int, int] = {}
    for buffer, offset in program.plan.offsets.items():
        for s in range(max(buffer.first, 0), min(buffer.last, len(program.steps) - 1) + 1):
            ends[s] = max(ends.get(s, 0), offset + buffer.nbytes)
    top = max(ends.values(), default=0)
    return [s for s, end in sorted(ends.items()) if end >= top - 8]


def _staged(graph: Graph, steps: list[Step], stage: Stage, model_macs: int) -> Program:
    """The program with the stage's ops replaced by the stage."""
    first = next(i for i, s in enumerate(steps) if s.op is stage.ops[0])
    staged = steps[:first] + [Step(stage.ops[0], stage)] + steps[first + len(stage.ops):]
    return Program(graph, *plan_memory(graph, staged), patch=describe(stage, model_macs))


def _lower(op: Op, kernels: str, board: dict | None) -> Call | Alias:
    call = lower(op)
    return specialize(op, call, kernels, board) if isinstance(call, Call) else call


def _alias_roots(steps: list[Step]):
    """Tensors that share bytes (reshapes) map to one root tensor."""
    parent: dict[int, Tensor] = {}

    def root(t: Tensor) -> Tensor:
        while id(t) in parent:
            t = parent[id(t)]
        return t

    for step in steps:
        if isinstance(step.call, Alias):
            parent[id(step.call.target)] = root(step.call.source)
    return root


def _uses(steps: list[Step], root) -> list[StepUse]:
    uses = []
    for step in steps:
        live = lambda ts: [id(root(t)) for t in ts if t is not None and not t.is_const]  # noqa: E731
        # An alias moves no data: it reads its source's bytes and writes nothing new.
        if isinstance(step.call, Stage):
            stage = step.call
            use = StepUse(live([stage.input]), live([stage.output]), [(id(stage), stage.scratch_bytes)],
                          [(id(root(stage.input)), id(root(stage.output)), stage.input_overlap)])
            uses.append(use)
            continue
        use = StepUse(live(step.op.inputs), [] if isinstance(step.call, Alias) else live(step.op.outputs))
        if isinstance(step.call, Call):
            use.scratch = [(id(s), s.nbytes) for s in call_scratches(step.call)]
            use.inplace = [(id(root(i.input)), id(root(step.op.outputs[0])), Overlap(i.forward, i.backward))
                           for i in step.call.inplace]
        uses.append(use)
    return uses


def _step_tensors(graph: Graph, steps: list[Step]) -> list[Tensor]:
    """The activations the steps read and write (a patch stage hides its intermediates)."""
    found = {id(t): t for t in graph.inputs + graph.outputs}
    for step in steps:
        touched = [step.call.input, step.call.output] if isinstance(step.call, Stage) else step.op.inputs + step.op.outputs
        found.update((id(t), t) for t in touched if t is not None and not t.is_const)
    return list(found.values())


class Schedules(NamedTuple):
    """What planning a list of steps starts from: alias roots, the activations, their sizes and
    names by root, graph inputs and outputs, and the execution orders to try."""
    root: Callable[[Tensor], Tensor]
    tensors: list[Tensor]
    sizes: dict
    names: dict
    inputs: list[int]
    outputs: list[int]
    orders: tuple[list[int], list[int]]


def schedules(graph: Graph, steps: list[Step]) -> Schedules:
    root = _alias_roots(steps)
    tensors = _step_tensors(graph, steps)
    sizes = {id(root(t)): root(t).nbytes for t in tensors}
    names = {id(root(t)): root(t).name for t in tensors}
    outputs = [id(root(t)) for t in graph.outputs]
    orders = (list(range(len(steps))), low_memory_order(_uses(steps, root), sizes, outputs))
    return Schedules(root, tensors, sizes, names, [id(root(t)) for t in graph.inputs], outputs, orders)


def plan_memory(graph: Graph, steps: list[Step], skip=None) -> tuple[list[Step], Plan, dict] | None:
    """Choose the execution order, then lifetimes and placement of every activation and scratch buffer.

    skip(uses, sizes, inputs, outputs, names, best_arena) may rule a schedule out before it is
    placed (best_arena: the smallest arena placed so far, or None); None when it rules out all."""
    root, tensors, sizes, names, inputs, outputs, orders = schedules(graph, steps)
    best = None
    for order in orders:
        ordered = [steps[i] for i in order]
        uses = _uses(ordered, root)
        if skip is not None and skip(uses, sizes, inputs, outputs, names, best and best[1].arena_bytes):
            continue
        buffers, overlaps = lifetimes(uses, sizes, inputs, outputs, names)
        plan = place(list(buffers.values()), overlaps)
        if best is None or plan.arena_bytes < best[1].arena_bytes:
            best = (ordered, plan, buffers)
    if best is None:
        return None
    ordered, plan, buffers = best
    offsets = {key: plan.offsets[buf] for key, buf in buffers.items()}
    for t in tensors:
        offsets[id(t)] = offsets[id(root(t))]
    for step in ordered:
        if isinstance(step.call, Stage):
            base = offsets[id(step.call)]
            offsets.update({key: base + rel for key, rel in step.call.tile_offsets.items()})
    return ordered, plan, offsets


def choose_directions(program: Program) -> Program:
    """Run a kernel back to front where the plan put its output above an input it overwrites.

    Decided once, for the program kept: candidate plans share the layer-based calls."""
    for _, call in program.calls:
        if "reverse" not in getattr(call.args[0], "fields", {}):
            continue
        output = next(a for a in reversed(call.args) if isinstance(a, Tensor))
        call.args[0].fields["reverse"] = 0
        for i in call.inplace:
            d = program.offset(output) - program.offset(i.input)
            overlapping = d < i.input.nbytes and -d < output.nbytes
            if overlapping and not (i.forward is not None and d <= i.forward):
                assert i.backward is not None and d >= i.backward, "the planner only overlaps where it is safe"
                call.args[0].fields["reverse"] = 1
    return program
