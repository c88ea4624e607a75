"""From a .tflite file to a `Program`: the IR after passes, one kernel call per op, and the arena plan."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from memory_planner import Overlap, Plan, StepUse, lifetimes, low_memory_order, place
from tinygen.errors import TinygenError
from tinygen.frontend import load_model
from tinygen.ir import Graph, Op, Tensor
from tinygen.ops import Alias, Call, Scratch, Struct, lower
from tinygen.passes import run_passes


@dataclass
class Step:
    op: Op
    call: Call | Alias


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
        return [(s.op, s.call) for s in self.steps if isinstance(s.call, Call)]


def compile_model(path: str | Path, patch: str = "off", max_mac_overhead: float = 0.2) -> Program:
    """patch="auto" runs the memory-heaviest first stage tile by tile where that lowers peak SRAM
    within `max_mac_overhead` extra MACs (a fraction of the model's MACs); "off" plans layer by layer."""
    if patch not in ("auto", "off"):
        raise TinygenError(f"--patch must be auto or off, not {patch!r}")
    graph = load_model(path)
    try:
        run_passes(graph)
        steps = [Step(op, lower(op)) for op in graph.ops]
    except TinygenError as e:
        raise TinygenError(f"{path}: {e}") from None
    steps, plan, offsets = plan_memory(graph, steps)
    return Program(graph, steps, plan, offsets)


def _scratches(call: Call) -> list[Scratch]:
    found = []
    for arg in call.args:
        if isinstance(arg, Scratch):
            found.append(arg)
        elif isinstance(arg, Struct):
            found.extend(v for v in arg.fields.values() if isinstance(v, Scratch))
    return found


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
        use = StepUse(live(step.op.inputs), [] if isinstance(step.call, Alias) else live(step.op.outputs))
        if isinstance(step.call, Call):
            use.scratch = [(id(s), s.nbytes) for s in _scratches(step.call)]
            use.inplace = [(id(root(i.input)), id(root(step.op.outputs[0])), Overlap(i.forward, i.backward))
                           for i in step.call.inplace]
        uses.append(use)
    return uses


def plan_memory(graph: Graph, steps: list[Step]) -> tuple[list[Step], Plan, dict]:
    """Choose the execution order, then lifetimes and placement of every activation and scratch buffer."""
    root = _alias_roots(steps)
    tensors = graph.live_tensors()
    sizes = {id(root(t)): root(t).nbytes for t in tensors}
    names = {id(root(t)): root(t).name for t in tensors}
    inputs = [id(root(t)) for t in graph.inputs]
    outputs = [id(root(t)) for t in graph.outputs]
    best = None
    for order in (list(range(len(steps))), low_memory_order(_uses(steps, root), sizes, outputs)):
        ordered = [steps[i] for i in order]
        buffers, overlaps = lifetimes(_uses(ordered, root), sizes, inputs, outputs, names)
        plan = place(list(buffers.values()), overlaps)
        if best is None or plan.arena_bytes < best[1].arena_bytes:
            best = (ordered, plan, buffers)
    ordered, plan, buffers = best
    offsets = {key: plan.offsets[buf] for key, buf in buffers.items()}
    for t in tensors:
        offsets[id(t)] = offsets[id(root(t))]
    for step in ordered:
        _choose_direction(step, offsets)
    return ordered, plan, offsets


def _choose_direction(step: Step, offsets: dict) -> None:
    """Run a kernel back to front where the planner put its output above an input it overwrites."""
    if not isinstance(step.call, Call):
        return
    out_offset = offsets[id(step.op.outputs[0])]
    for i in step.call.inplace:
        d = out_offset - offsets[id(i.input)]
        overlapping = d < i.input.nbytes and -d < step.op.outputs[0].nbytes
        if overlapping and not (i.forward is not None and d <= i.forward):
            assert i.backward is not None and d >= i.backward, "the planner only overlaps where it is safe"
            step.call.args[0].fields["reverse"] = 1
