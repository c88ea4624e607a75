"""From a .tflite file to a `Program`: the IR after passes, one kernel call per op, and the arena plan."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Callable, NamedTuple
from pathlib import Path

from tinygen.memory import Overlap, Plan, StepUse, lifetimes, low_memory_order, lower_bound, place
from tinygen.memory.placement import aligned, pair_footprint, step_bounds
from tinygen.errors import TinygenError
from tinygen.frontend import load_model
from tinygen.ir import Graph, Op, Tensor
from tinygen.options import DEFAULT, CompileOptions
from tinygen.backends import leaner_calls, specialize, widened_layers
from tinygen.boards import Board, get_board
from tinygen.ops import Alias, Call, lower
from tinygen.passes import run_passes
from tinygen.passes.int8_io import drop_boundary_quantization
from tinygen.patch import (Stage, StageGraph, build_stage, describe, input_overlap, stage_graphs, tile_floor, tile_grids,
                           tiled_macs_overhead)


@dataclass
class Step:
    op: Op
    call: Call | Alias | Stage


@dataclass
class Program:
    graph: Graph
    steps: list[Step]
    plan: Plan
    offsets: dict  # id(tensor) or id(Scratch) -> offset in its home (the arena, or its own I/O buffer)
    # id(tensor) -> the I/O buffer outside the arena that holds it ("input0", "output1", ...), with
    # --io-buffers separate; every other tensor is in the arena
    homes: dict = field(default_factory=dict)
    patch: dict | None = None  # the patch-based stages, when used: {"stages": [...], "mac_overhead", ...}
    patch_note: str | None = None  # with patch auto and no stage: why not
    options: CompileOptions = DEFAULT  # how it was compiled
    target: Board | None = None  # for which board (the host board for host code)
    # Persistent state (variable tensors): id(tensor) -> offset in its own static region, outside
    # the arena, kept from one invoke to the next (place_state).
    state_offsets: dict = field(default_factory=dict)
    state_bytes: int = 0
    # board name -> its flash as tinygen.simulate.flash_use measured it in a linked image: a build
    # of seconds that the flash fit, simulate and the fit check of generate would otherwise repeat
    measured_flash: dict = field(default_factory=dict, repr=False, compare=False)

    def offset(self, item) -> int:
        return self.offsets[id(item)]

    def home(self, item) -> str:
        """"arena", or the I/O buffer of its own that holds this tensor."""
        return self.homes.get(id(item), "arena")

    def overwritten_by_invoke(self, t: Tensor) -> bool:
        """Whether invoke writes over a model input's bytes: some buffer written during invoke
        (first written at step 0 or later) shares them."""
        return self.home(t) == "arena" and any(
            buffer.first >= 0 and self._intersects(t, offset, buffer.nbytes)
            for buffer, offset in self.plan.offsets.items())

    def inputs_sharing_bytes(self, t: Tensor) -> list[int]:
        """The model inputs whose bytes a model output shares (writing them overwrites it)."""
        return [i for i, x in enumerate(self.graph.inputs)
                if self.home(x) == self.home(t) and self._intersects(t, self.offset(x), x.nbytes)]

    def _intersects(self, t: Tensor, offset: int, nbytes: int) -> bool:
        return offset < self.offset(t) + t.nbytes and self.offset(t) < offset + nbytes

    @property
    def io_buffer_bytes(self) -> int:
        """RAM of the inputs' and outputs' own buffers (0 when they are in the arena)."""
        return sum(self.io_buffer_sizes().values())

    def io_buffer_sizes(self) -> dict[str, int]:
        """Each I/O buffer outside the arena and its bytes."""
        sizes: dict[str, int] = {}
        for t in self.graph.inputs + self.graph.outputs:
            if id(t) in self.homes:
                home = self.homes[id(t)]
                sizes[home] = max(sizes.get(home, 0), t.nbytes)
        return sizes

    @property
    def state(self) -> list[Tensor]:
        """The variable tensors, in the order of their offsets."""
        return self.graph.state_tensors()

    @property
    def stages(self) -> list[Stage]:
        return [s.call for s in self.steps if s.call.kind == "patch_stage"]

    @property
    def calls(self) -> list[tuple[Op, Call]]:
        """Every kernel call in execution order, a patch stage's tile by tile."""
        return [pair for s in self.steps for pair in s.call.kernel_calls(s.op)]

    @property
    def macs(self) -> int:
        return sum(call.macs for _, call in self.calls)


@dataclass
class StageSearch:
    """How plan_program looks for patch stages; the architecture search's fast planner
    (tinygen.nas.graph) passes its shortcuts here, which cannot change the program chosen:
    `build` may return a cached stage's geometry without its tile calls, and with `limit` only
    a program within that many bytes is wanted (the first one found is kept) and programs that
    cannot come within `ceiling` bytes are not planned."""
    build: Callable = build_stage
    limit: int | None = None
    ceiling: int | None = None
    first_stages_tried: int = 3  # the best single stages a second stage is tried after


def compile_model(path: str | Path, options: CompileOptions = DEFAULT, target: Board | None = None) -> Program:
    """The program for the model at `path`, compiled with `options` for `target` (None: the host)."""
    try:
        return compile_graph(load_model(path), options, target)
    except TinygenError as e:
        message = str(e)
        raise TinygenError(message if message.startswith(str(path)) else f"{path}: {message}") from None


def compile_graph(graph: Graph, options: CompileOptions = DEFAULT, target: Board | None = None) -> Program:
    """compile_model for a graph already in memory (e.g. one a search builds without TensorFlow)."""
    target = target or get_board("host")
    lower_op = lowering(options, target)
    steps = lower_graph(graph, options, lower_op)
    wide = widened_layers(graph, [(s.op, s.call) for s in steps if s.call.kind == "call"], options, target)
    if wide:  # lowered again with the flash the target has room for spent on faster weights
        lower_op = lowering(options, target, wide)
        steps = [Step(s.op, lower_op(s.op)) if id(s.op) in wide else s for s in steps]
    program = plan_program(graph, steps, options, lower_op)
    goal = options.arena_goal(target.arena_limit_bytes)
    if goal is not None:
        program = relieve_peak(graph, program, goal)
    program.options, program.target = options, target
    program.state_offsets, program.state_bytes = place_state(graph)
    return choose_directions(program)


def place_state(graph: Graph) -> tuple[dict, int]:
    """Offsets of the variable tensors one after another in the state region, and its size: state
    lives as long as the program, so nothing shares its bytes."""
    offsets, end = {}, 0
    for t in graph.state_tensors():
        offsets[id(t)] = end
        end += aligned(t.nbytes)
    return offsets, end


def lower_graph(graph: Graph, options: CompileOptions, lower_op) -> list[Step]:
    """The graph after its passes, one kernel call (or alias) per op."""
    run_passes(graph)
    if options.io == "int8":
        drop_boundary_quantization(graph)
    graph.io_outside_arena = options.io_buffers == "separate"
    return [Step(op, lower_op(op)) for op in graph.ops]


def lowering(options: CompileOptions, target: Board, wide: frozenset = frozenset()):
    """op -> its kernel call with the backend of `options` for `target`, the convolutions whose
    op ids are in `wide` with pre-widened weights."""
    def lower_op(op: Op) -> Call | Alias:
        call = lower(op)
        return specialize(op, call, options, target, wide) if call.kind == "call" else call

    return lower_op


def plan_program(graph: Graph, steps: list[Step], options: CompileOptions, lower_op,
                 search: StageSearch | None = None) -> Program | None:
    """The arena plan of the lowered steps, layer by layer or with patch stages (CompileOptions.patch);
    None only when `search.ceiling` rules out every program."""
    search = search or StageSearch()
    if isinstance(options.patch, tuple):
        return _forced_stage(graph, steps, options.patch, lower_op)
    planned = plan_memory(graph, steps, bar=search.ceiling)
    layer_based = None if planned is None else Program(graph, *planned)
    if options.patch == "off":
        return layer_based
    return choose_stages(graph, steps, layer_based, options.max_mac_overhead, lower_op, search)


def _forced_stage(graph: Graph, steps: list[Step], patch: tuple, lower_op) -> Program:
    length, grid = patch
    subs = stage_graphs(graph, graph.inputs[0]) if len(graph.inputs) == 1 else []
    sub = next((s for s in subs if len(s.ops) == length), None)
    if sub is None:
        raise TinygenError(f"no patch stage of {length} ops starts at the model input "
                           f"(stages of {sorted({len(s.ops) for s in subs})} ops can)")
    macs = sum(s.call.macs for s in steps if s.call.kind == "call" and s.op in sub.ops)
    model_macs = sum(s.call.macs for s in steps if s.call.kind == "call")
    return _staged(graph, steps, [build_stage(sub, grid, macs, lower_op)], model_macs)


def choose_stages(graph: Graph, steps: list[Step], layer_based: Program | None, max_mac_overhead: float,
                  lower_op, search: StageSearch) -> Program | None:
    """The program with the lowest peak (then the fewest MACs) among layer-based and one or two
    consecutive patch stages from the model input, within `max_mac_overhead` extra MACs in all.

    Best first: every (stage, grid) gets a lower bound on its program's arena from geometry alone
    (its tile buffers' least plan, its output over its input as far as the tiles allow), and
    candidates are built and planned from the lowest bound up, until no bound can beat the best."""
    model_macs = sum(s.call.macs for s in steps if s.call.kind == "call")
    chooser = _Chooser(graph, steps, layer_based, model_macs, lower_op, search)
    if len(graph.inputs) != 1:
        return chooser.finish("the model has several inputs")
    firsts = chooser.try_stages([], graph.inputs[0], max_mac_overhead)
    for program in sorted(firsts, key=_rank)[:search.first_stages_tried]:
        if chooser.done():
            break
        stage = program.stages[0]
        chooser.try_stages([stage], stage.output, max_mac_overhead - tiled_macs_overhead(stage, model_macs))
    return chooser.finish(None)


def _rank(program: Program) -> tuple[int, int]:
    return program.plan.arena_bytes, program.macs


class _Chooser:
    """The best program so far and what was tried, for choose_stages."""

    def __init__(self, graph, steps, layer_based, model_macs, lower_op, search):
        self.graph, self.steps, self.model_macs, self.lower_op, self.search = graph, steps, model_macs, lower_op, search
        self.best = layer_based
        self.op_macs = {id(s.op): s.call.macs for s in steps if s.call.kind == "call"}
        self.stage_ends = 0  # sub-graphs that could be a stage
        self.within_overhead = 0  # (sub-graph, grid) pairs within the MAC overhead
        self.outclassed = 0  # sub-graphs no stage over which can beat the best program
        self.last_end: Op | None = None

    def bar(self) -> int | None:
        bars = [b for b in (self.search.ceiling, self.best and self.best.plan.arena_bytes) if b is not None]
        return min(bars) if bars else None

    def done(self) -> bool:
        return (self.search.limit is not None and self.best is not None
                and self.best.plan.arena_bytes <= self.search.limit)

    def _hopeless(self, bound: int, extra_macs: float) -> bool:
        """A candidate with this arena bound and these extra MACs cannot rank above the best."""
        bar = self.bar()
        if bar is None:
            return False
        if self.best is None or bound < self.best.plan.arena_bytes:
            return bound >= bar
        return bound > self.best.plan.arena_bytes or self.model_macs + extra_macs >= self.best.macs

    def try_stages(self, earlier: list[Stage], start: Tensor, budget: float) -> list[Program]:
        if self.done():
            return []
        candidates = []
        for sub in stage_graphs(self.graph, start):
            self.stage_ends += 1
            self.last_end = sub.ops[-1]
            bound = _StagedBound(self.graph, self.steps, earlier, sub)
            if self.bar() is not None and bound(0, Overlap(1 << 40)) >= self.bar():
                self.outclassed += 1  # it cannot beat the best, however it is tiled
                continue
            grids = tile_grids(sub, self.op_macs, self.model_macs, budget)
            self.within_overhead += len(grids)
            if grids:
                extra = sum(tiled_macs_overhead(s, self.model_macs) for s in earlier) * self.model_macs
                candidates += [(bound(tile_floor(sub, g), input_overlap(sub, g.geometry(sub))),
                                extra + g.mac_overhead * self.model_macs, len(candidates) + i, sub, g, bound)
                               for i, g in enumerate(grids)]
        planned, settled = [], set()
        for lowest, extra_macs, _, sub, choice, bound in sorted(candidates, key=lambda c: c[:3]):
            if self.done() or self._hopeless(lowest, extra_macs):
                break
            if id(sub) in settled:
                continue
            macs = sum(s.call.macs for s in self.steps if s.call.kind == "call" and s.op in sub.ops)
            stage = self.search.build(sub, choice.grid, macs, self.lower_op)
            exact = bound(stage.scratch_bytes, stage.input_overlap)
            if self._hopeless(exact, extra_macs):
                continue
            program = _staged(self.graph, self.steps, earlier + [stage], self.model_macs, self.bar())
            if exact <= bound.elsewhere:
                # The peak is set outside this stage: finer grids here only add MACs.
                settled.add(id(sub))
            if program is None:
                continue
            planned.append(program)
            if self.best is None or _rank(program) < _rank(self.best):
                self.best = program
        return planned

    def finish(self, reason: str | None) -> Program | None:
        if self.best is not None and self.best.patch is None:
            self.best.patch_note = reason or self._why_none()
        return self.best

    def _why_none(self) -> str:
        readers = self.graph.consumers(self.graph.inputs[0])
        if not self.stage_ends:
            first = f": it is read by {readers[0].kind}" if readers else ""
            if readers and readers[0].has_int16_activations:
                first += ", whose int16 activations (16x8) run layer by layer"
            return f"no op that reads the model input can run tile by tile{first}"
        if not self.within_overhead and not self.outclassed:
            return "every patch stage needs more extra MACs than --max-mac-overhead allows"
        step = _peak_step(self.best)
        peak = f"the peak, at step {step} ({self.best.steps[step].op.kind}),"
        last = max(i for i, s in enumerate(self.best.steps) if s.op is self.last_end)
        if step > last:
            return f"{peak} is after the last op a stage can cover ({self.last_end.describe()})"
        return f"{peak} is not lowered by any patch stage within --max-mac-overhead"


def _peak_step(program: Program) -> int:
    steps = _peak_steps(program)
    return steps[0] if steps else 0


class _StagedBound:
    """Lower bounds on the arena of programs with the stages `earlier` and one more covering
    `sub`, by that stage's tile buffer bytes and how its output may overlap its input.

    The schedules tried do not depend on the stage's buffers, so the bound at every other step
    is worked out once, with an ideal stage (no tile buffers, output anywhere over its input)."""

    def __init__(self, graph: Graph, steps: list[Step], earlier: list[Stage], sub: StageGraph):
        ideal = Stage(sub, (1, 1), [], 0, {}, Overlap(1 << 40), 0, 0)
        staged = _staged_steps(steps, earlier + [ideal])
        root, _, sizes, names, inputs, outputs, orders = schedules(graph, staged)
        self.orders = []
        for order in orders:
            ordered = [staged[i] for i in order]
            buffers, overlaps = arena_lifetimes(graph, _uses(ordered, root), sizes, inputs, outputs, names)
            at = next(i for i, s in enumerate(ordered) if s.call is ideal)
            bounds = step_bounds(list(buffers.values()), overlaps)
            pair = (buffers.get(id(root(sub.input))), buffers.get(id(root(sub.output))))
            elsewhere = max((b for s, b in bounds.items() if s != at), default=0)
            self.orders.append((elsewhere, bounds[at], pair if pair in overlaps else None))
        self.elsewhere = min(order[0] for order in self.orders)  # what no stage ending here can lower

    def _saving(self, pair, where: Overlap) -> int:
        if pair is None:
            return 0
        a, b = pair
        return aligned(a.nbytes) + aligned(b.nbytes) - pair_footprint(a, b, where)

    def __call__(self, tile_bytes: int, where: Overlap) -> int:
        ideal = Overlap(1 << 40)
        return min(max(elsewhere,
                       at + aligned(tile_bytes) + self._saving(pair, ideal) - self._saving(pair, where))
                   for elsewhere, at, pair in self.orders)


def relieve_peak(graph: Graph, program: Program, goal: int = 0, rounds: int = 8) -> Program:
    """Memory first: where a faster kernel's scratch or narrower in-place overlap sets the peak,
    run a leaner variant of it at that layer (the reference kernel last), as long as the arena
    shrinks and is above `goal` bytes."""
    for _ in range(rounds):
        if program.plan.arena_bytes <= goal:
            return program
        trial = next(filter(None, (_leaner_at(graph, program, i) for i in _peak_steps(program))), None)
        if trial is None:
            return program
        program = trial
    return program


def _leaner_at(graph: Graph, program: Program, i: int) -> Program | None:
    """The program with the leaner call at step i that shrinks the arena most (the fastest of
    those that shrink it as much), or None."""
    step = program.steps[i]
    if step.call.kind != "call":
        return None
    reference = lower(step.op)
    if reference.kernel == step.call.kernel:
        return None
    best = program
    for call in leaner_calls(step.op, reference, step.call):
        steps = program.steps[:i] + [Step(step.op, call)] + program.steps[i + 1:]
        planned = plan_memory(graph, steps, bar=best.plan.arena_bytes)
        if planned is not None and planned[1].arena_bytes < best.plan.arena_bytes:
            best = replace(program, steps=planned[0], plan=planned[1], offsets=planned[2], homes=planned[3])
    return None if best is program else best


def _peak_steps(program: Program) -> list[int]:
    """The steps at which the live buffers reach the end of the arena."""
    ends: dict[int, int] = {}
    for buffer, offset in program.plan.offsets.items():
        for s in range(max(buffer.first, 0), min(buffer.last, len(program.steps) - 1) + 1):
            ends[s] = max(ends.get(s, 0), offset + buffer.nbytes)
    top = max(ends.values(), default=0)
    return [s for s, end in sorted(ends.items()) if end >= top - 8]


def _staged_steps(steps: list[Step], stages: list[Stage]) -> list[Step]:
    """The steps with each stage's ops replaced by the stage, where its last op was (anything
    between its ops that is not in it reads nothing the stage computes but may be read by it)."""
    covered = {id(op) for stage in stages for op in stage.ops}
    last = {id(stage.ops[-1]): stage for stage in stages}
    return [Step(last[id(s.op)].ops[0], last[id(s.op)]) if id(s.op) in last else s
            for s in steps if id(s.op) not in covered or id(s.op) in last]


def _staged(graph: Graph, steps: list[Step], stages: list[Stage], model_macs: int, bar: int | None = None
            ) -> Program | None:
    """The program with the stages' ops replaced by the stages (None: a bound shows it cannot
    beat `bar`)."""
    planned = plan_memory(graph, _staged_steps(steps, stages), bar=bar)
    return None if planned is None else Program(graph, *planned, patch=describe(stages, model_macs))


def _alias_roots(steps: list[Step]):
    """Tensors that share bytes (reshapes) map to one root tensor."""
    parent: dict[int, Tensor] = {}

    def root(t: Tensor) -> Tensor:
        while id(t) in parent:
            t = parent[id(t)]
        return t

    for step in steps:
        if step.call.kind == "alias":
            parent[id(step.call.target)] = root(step.call.source)
    return root


def _uses(steps: list[Step], root) -> list[StepUse]:
    """What each step reads, writes, needs as scratch and may overlap, by alias root."""
    def live(tensors) -> list:
        return [id(root(t)) for t in tensors if t is not None and t.in_arena]

    return [StepUse(live(s.call.reads(s.op)), live(s.call.writes(s.op)),
                    [(id(item), nbytes) for item, nbytes in s.call.scratch()],
                    [(id(root(a)), id(root(b)), where) for a, b, where in s.call.overlaps(s.op)])
            for s in steps]


def _step_tensors(graph: Graph, steps: list[Step]) -> list[Tensor]:
    """The activations the steps read and write (a patch stage hides its intermediates)."""
    found = {id(t): t for t in graph.inputs + graph.outputs}
    for step in steps:
        touched = step.call.reads(step.op) + (step.call.writes(step.op) if step.call.kind == "patch_stage"
                                               else step.op.outputs)
        found.update((id(t), t) for t in touched if t is not None and t.in_arena)
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


def io_homes(graph: Graph, inputs: list, outputs: list) -> dict:
    """With --io-buffers separate: the alias root of each model input and output -> the name of
    its own buffer outside the arena ("input0", "output0", ...); empty otherwise."""
    if not graph.io_outside_arena:
        return {}
    homes: dict = {}
    for kind, keys in (("input", inputs), ("output", outputs)):
        for i, key in enumerate(keys):
            homes.setdefault(key, f"{kind}{i}")
    return homes


def arena_lifetimes(graph: Graph, uses: list[StepUse], sizes: dict, inputs: list, outputs: list, names: dict):
    """lifetimes() of the buffers that go into the arena: without the model's inputs and outputs
    (and any in-place pair with them) when they have buffers of their own."""
    buffers, overlaps = lifetimes(uses, sizes, inputs, outputs, names)
    outside = io_homes(graph, inputs, outputs)
    if not outside:
        return buffers, overlaps
    kept = {key: b for key, b in buffers.items() if key not in outside}
    members = {id(b) for b in kept.values()}
    return kept, {(a, b): where for (a, b), where in overlaps.items() if id(a) in members and id(b) in members}


def plan_memory(graph: Graph, steps: list[Step], bar: int | None = None
                ) -> tuple[list[Step], Plan, dict, dict] | None:
    """Choose the execution order, then lifetimes and placement of every activation and scratch
    buffer: the steps in order, the plan, offsets and homes (as Program holds them).

    A schedule whose lower bound shows it cannot be placed below `bar` (nor below the best placed
    so far) is not placed; None when no schedule can."""
    root, tensors, sizes, names, inputs, outputs, orders = schedules(graph, steps)
    best = None
    for order in orders:
        ordered = [steps[i] for i in order]
        buffers, overlaps = arena_lifetimes(graph, _uses(ordered, root), sizes, inputs, outputs, names)
        bars = [b for b in (bar, best and best[1].arena_bytes) if b is not None]
        if bars and lower_bound(list(buffers.values()), overlaps) >= min(bars):
            continue
        plan = place(list(buffers.values()), overlaps)
        if best is None or plan.arena_bytes < best[1].arena_bytes:
            best = (ordered, plan, buffers)
    if best is None:
        return None
    ordered, plan, buffers = best
    outside = io_homes(graph, inputs, outputs)
    offsets = {key: plan.offsets[buf] for key, buf in buffers.items()}
    offsets.update((key, 0) for key in outside)
    homes = {}
    for t in tensors:
        offsets[id(t)] = offsets[id(root(t))]
        if id(root(t)) in outside:
            homes[id(t)] = outside[id(root(t))]
    for step in ordered:
        if step.call.kind == "patch_stage":
            base = offsets[id(step.call)]
            offsets.update({key: base + rel for key, rel in step.call.tile_offsets.items()})
    return ordered, plan, offsets, homes


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
            same_buffer = program.home(output) == program.home(i.input)
            overlapping = same_buffer and d < i.input.nbytes and -d < output.nbytes
            if overlapping and not (i.forward is not None and d <= i.forward):
                assert i.backward is not None and d >= i.backward, "the planner only overlaps where it is safe"
                call.args[0].fields["reverse"] = 1
    return program
