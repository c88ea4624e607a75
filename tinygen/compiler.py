"""From a .tflite file to a `Program`: the IR after passes, one kernel call per op, and the arena plan."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from memory_planner import Buffer, Plan, place
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

    def offset(self, item) -> int:
        return self.offsets[id(item)]

    @property
    def calls(self) -> list[tuple[Op, Call]]:
        return [(s.op, s.call) for s in self.steps if isinstance(s.call, Call)]


def compile_model(path: str | Path) -> Program:
    graph = load_model(path)
    try:
        run_passes(graph)
        steps = [Step(op, lower(op)) for op in graph.ops]
    except TinygenError as e:
        raise TinygenError(f"{path}: {e}") from None
    plan, offsets = plan_memory(graph, steps)
    return Program(graph, steps, plan, offsets)


def _scratches(call: Call) -> list[Scratch]:
    found = []
    for arg in call.args:
        if isinstance(arg, Scratch):
            found.append(arg)
        elif isinstance(arg, Struct):
            found.extend(v for v in arg.fields.values() if isinstance(v, Scratch))
    return found


def plan_memory(graph: Graph, steps: list[Step]) -> tuple[Plan, dict]:
    """Lifetimes of activations and scratch over the schedule, then placement in one arena."""
    group: dict[int, Tensor] = {}  # tensor id -> the tensor whose bytes it uses (aliases)

    def root(t: Tensor) -> Tensor:
        while id(t) in group:
            t = group[id(t)]
        return t

    for step in steps:
        if isinstance(step.call, Alias):
            group[id(step.call.target)] = root(step.call.source)

    spans: dict[int, list] = {}  # root id -> [tensor, first, last]

    def touch(t: Tensor, when: int) -> None:
        r = root(t)
        span = spans.setdefault(id(r), [r, when, when])
        span[1], span[2] = min(span[1], when), max(span[2], when)

    for t in graph.inputs:
        touch(t, -1)
    for i, step in enumerate(steps):
        for t in step.op.inputs + step.op.outputs:
            if t is not None and not t.is_const:
                touch(t, i)
    for t in graph.outputs:
        touch(t, len(steps))

    buffers = {key: Buffer(t.name, t.nbytes, first, last) for key, (t, first, last) in spans.items()}
    scratch_buffers = {}
    for i, step in enumerate(steps):
        if isinstance(step.call, Call):
            for s in _scratches(step.call):
                scratch_buffers[id(s)] = Buffer(f"scratch of op {step.op.index}", s.nbytes, i, i)
    plan = place(list(buffers.values()) + list(scratch_buffers.values()))
    offsets = {key: plan.offsets[b] for key, b in scratch_buffers.items()}
    for t in graph.live_tensors():
        offsets[id(t)] = plan.offsets[buffers[id(root(t))]]
    return plan, offsets
