"""An architecture's int8 graph built directly in tinygen's IR, and what the planner says about it.

The graph has the ops TFLiteConverter emits for the Keras model of the same architecture
(tinygen.nas.keras_models): batch norms folded into the convolutions, ReLU6 fused, a residual
ADD(shortcut, branch), squeeze-excite as MEAN -> CONV_2D(ReLU) -> CONV_2D -> LOGISTIC -> MUL,
global pooling as MEAN, the classifier as FULLY_CONNECTED and SOFTMAX, in the converter's order.
Shapes and ops decide the arena plan, so compiling this graph with the settings `tinygen
simulate` uses gives the peak SRAM of the exported .tflite to the byte, in milliseconds and
without TensorFlow (tests/nas/test_nas.py checks it against converted models). Weights and
quantization parameters are placeholders of the right shapes.
"""
from __future__ import annotations

import functools
import json
from dataclasses import dataclass

import numpy as np

from tinygen.boards import boards_dir
from tinygen.compiler import Program, compile_graph
from tinygen.errors import TinygenError
from tinygen.ops import definition
from tinygen.options import SMALLEST_ARENA, CompileOptions
from tinygen.plain import plain
from tinygen.simulate import constant_bytes
from tinygen.ir import Graph, Op, Quant, Tensor
from tinygen.nas.space import Arch, Measured, Plan, SearchSpace

RELU6_Q = (6.0 / 255.0, -128)
LINEAR_Q = (0.05, 0)
INPUT_Q = (1.0 / 255.0, -128)
PROB_Q = (1.0 / 256.0, -128)


class _Builder:
    def __init__(self, name: str, seed: int = 0):
        self.tensors: list[Tensor] = []
        self.ops: list[Op] = []
        self.rng = np.random.default_rng(seed)

    def tensor(self, shape, q=LINEAR_Q, dtype="int8", data=None) -> Tensor:
        quant = None if q is None else Quant(np.array([q[0]], np.float32), np.array([q[1]], np.int64))
        t = Tensor(f"t{len(self.tensors)}", tuple(int(d) for d in shape), dtype, quant, data, index=len(self.tensors))
        self.tensors.append(t)
        return t

    def weights(self, shape, channels: int, axis: int) -> Tensor:
        data = self.rng.integers(-127, 128, size=shape, dtype=np.int64).astype(np.int8)
        quant = Quant(np.full(channels, 0.01, np.float32), np.zeros(channels, np.int64), axis)
        t = Tensor(f"t{len(self.tensors)}", tuple(shape), "int8", quant, data, index=len(self.tensors))
        self.tensors.append(t)
        return t

    def bias(self, channels: int, input_scale: float) -> Tensor:
        data = self.rng.integers(-1000, 1000, size=channels, dtype=np.int64).astype(np.int32)
        quant = Quant(np.full(channels, input_scale * 0.01, np.float32), np.zeros(channels, np.int64))
        t = Tensor(f"t{len(self.tensors)}", (channels,), "int32", quant, data, index=len(self.tensors))
        self.tensors.append(t)
        return t

    def op(self, kind: str, inputs, output: Tensor, **options) -> Tensor:
        self.ops.append(Op(kind, list(inputs), [output], options, index=len(self.ops)))
        return output

    def conv(self, x: Tensor, channels: int, kernel: int, stride: int, activation: str, q) -> Tensor:
        n, h, w, c = x.shape
        padding = "VALID" if kernel == 1 else "SAME"
        oh, ow = -(-h // stride), -(-w // stride)
        out = self.tensor((n, oh, ow, channels), q)
        return self.op("CONV_2D", [x, self.weights((channels, kernel, kernel, c), channels, 0),
                                   self.bias(channels, float(x.quant.scale[0]))], out,
                       padding=padding, stride_w=stride, stride_h=stride, activation=activation,
                       dilation_w=1, dilation_h=1)

    def depthwise(self, x: Tensor, kernel: int, stride: int) -> Tensor:
        n, h, w, c = x.shape
        out = self.tensor((n, -(-h // stride), -(-w // stride), c), RELU6_Q)
        return self.op("DEPTHWISE_CONV_2D", [x, self.weights((1, kernel, kernel, c), c, 3),
                                             self.bias(c, float(x.quant.scale[0]))], out,
                       padding="SAME", stride_w=stride, stride_h=stride, depth_multiplier=1, activation="RELU6",
                       dilation_w=1, dilation_h=1)

    def mean(self, x: Tensor, keep_dims: bool) -> Tensor:
        n, _, _, c = x.shape
        axes = self.tensor((2,), None, "int32", np.array([1, 2], np.int32))
        q = (float(x.quant.scale[0]), int(x.quant.zero_point[0]))
        return self.op("MEAN", [x, axes], self.tensor((n, 1, 1, c) if keep_dims else (n, c), q), keep_dims=keep_dims)


def build_graph(plan: Plan, name: str = "candidate", seed: int = 0) -> Graph:
    """The int8 graph TFLiteConverter makes of the Keras model for `plan` (int8 input and output)."""
    b = _Builder(name, seed)
    x = b.tensor((1, plan.resolution, plan.resolution, plan.in_channels), INPUT_Q)
    graph_input = x
    x = b.conv(x, plan.stem, 3, 2, "RELU6", RELU6_Q)
    for block in plan.blocks:
        shortcut = x
        h = b.conv(x, block.mid, 1, 1, "RELU6", RELU6_Q) if block.expand else x
        h = b.depthwise(h, block.kernel, block.stride)
        if block.se:
            # Over a 1x1 map the pooling is the identity, and the converter drops it.
            s = h if h.shape[1] == h.shape[2] == 1 else b.mean(h, keep_dims=True)
            s = b.conv(s, block.se, 1, 1, "RELU", RELU6_Q)
            s = b.conv(s, block.mid, 1, 1, "NONE", LINEAR_Q)
            s = b.op("LOGISTIC", [s], b.tensor(s.shape, PROB_Q))
            h = b.op("MUL", [h, s], b.tensor(h.shape, RELU6_Q), activation="NONE")
        h = b.conv(h, block.cout, 1, 1, "NONE", LINEAR_Q)
        if block.residual:
            h = b.op("ADD", [shortcut, h], b.tensor(h.shape, LINEAR_Q), activation="NONE")
        x = h
    x = b.conv(x, plan.head, 1, 1, "RELU6", RELU6_Q)
    x = b.mean(x, keep_dims=False)
    units = plan.classes
    logits = b.tensor((1, units), (0.1, 0))
    b.op("FULLY_CONNECTED", [x, b.weights((units, x.shape[1]), units, 0), b.bias(units, float(x.quant.scale[0]))],
         logits, activation="NONE", weights_format=0, keep_num_dims=False)
    probs = b.op("SOFTMAX", [logits], b.tensor((1, units), PROB_Q), beta=1.0)
    return Graph(name, b.tensors, b.ops, [graph_input], [probs])


def compile_plan(plan: Plan, board, options: CompileOptions = SMALLEST_ARENA) -> Program:
    """Compiled exactly as `tinygen simulate --board B` compiles a model (the default options)."""
    return compile_graph(build_graph(plan), options, board)


def parameter_count(plan: Plan) -> int:
    """Weights and biases of the float model (batch norms folded)."""
    total = 9 * plan.in_channels * plan.stem + plan.stem
    for block in plan.blocks:
        if block.expand:
            total += block.cin * block.mid + block.mid
        total += block.kernel * block.kernel * block.mid + block.mid
        if block.se:
            total += 2 * block.mid * block.se + block.se + block.mid
        total += block.mid * block.cout + block.cout
    last = plan.blocks[-1].cout
    total += last * plan.head + plan.head + plan.head * plan.classes + plan.classes
    return total


def layer_counts(plan: Plan) -> tuple[int, int, int]:
    """(int8 weights, int32 bias values, ops) of the graph build_graph makes of `plan`."""
    weights = 9 * plan.in_channels * plan.stem
    bias, ops = plan.stem, 1
    for block in plan.blocks:
        if block.expand:
            weights, bias, ops = weights + block.cin * block.mid, bias + block.mid, ops + 1
        weights, bias, ops = weights + block.kernel ** 2 * block.mid, bias + block.mid, ops + 1
        if block.se:
            weights += 2 * block.mid * block.se
            bias += block.mid + block.se
            ops += 5  # MEAN, CONV_2D, CONV_2D, LOGISTIC, MUL (no MEAN over a 1x1 map)
        weights, bias, ops = weights + block.mid * block.cout, bias + block.cout, ops + 1
        ops += 1 if block.residual else 0
    last = plan.blocks[-1].cout
    weights += last * plan.head + plan.head * plan.classes
    bias += plan.head + plan.classes
    return weights, bias, ops + 4  # head conv, MEAN, FULLY_CONNECTED, SOFTMAX


def sram_lower_bound(plan: Plan) -> int:
    """No more than the peak SRAM of any plan for `plan`'s graph, layer- or patch-based.

    The model input is live before the first op, and the head convolution's output is read whole
    by the global pooling after it (a patch stage may end there, but its output is a full tensor).
    Everything before may run tile by tile, residual blocks included, so nothing more is sure."""
    from tinygen.memory.placement import aligned

    h = -(-plan.resolution // 2)
    for block in plan.blocks:
        h = -(-h // block.stride)
    return max(aligned(plan.resolution * plan.resolution * plan.in_channels), aligned(h * h * plan.head))


def op_counts(program: Program) -> dict[str, int]:
    """Kernel calls of the layer-based program by kernel family (what code size grows with)."""
    counts: dict[str, int] = {}
    for step in program.steps:
        if step.call.kind == "call":
            counts[step.call.kernel] = counts.get(step.call.kernel, 0) + 1
        elif step.call.kind == "patch_stage":
            counts["patch_stage"] = counts.get("patch_stage", 0) + 1
    return counts


class CodeModel:
    """The flash estimate: (constants + code) * scale, code being a base plus an amount per
    layer-based kernel call and per patch stage. The defaults over-count a little (checked with
    arm-none-eabi-gcc on the space's networks); a search scales them with two candidates measured
    by `tinygen.simulate.flash_use` (the figure `tinygen simulate` reports). The winner's flash is
    always measured, not estimated."""

    def __init__(self, base: int = 16000, per_call: float = 400.0, per_stage: float = 12000.0, scale: float = 1.0):
        self.base, self.per_call, self.per_stage, self.scale = base, per_call, per_stage, scale

    def code_bytes(self, counts: dict[str, int]) -> int:
        calls = sum(n for k, n in counts.items() if k != "patch_stage")
        return int(self.base + self.per_call * calls + self.per_stage * counts.get("patch_stage", 0))

    def estimate(self, constant_bytes: int, counts: dict[str, int]) -> int:
        return int(self.scale * (constant_bytes + self.code_bytes(counts)))

    def to_dict(self) -> dict:
        return {"base": self.base, "per_call": self.per_call, "per_stage": self.per_stage, "scale": self.scale}


LATENCY_KINDS = ("pointwise", "conv", "depthwise", "other")


def macs_by_kind(calls) -> dict[str, int]:
    """MACs of (op, call) pairs by the latency model's layer kinds, and the number of layers
    without MACs (data movement: pools, adds, reshapes)."""
    kinds = {**{k: 0 for k in LATENCY_KINDS}, "layers_without_macs": 0}
    for op, call in calls:
        kinds[latency_kind(op)] += call.macs
        kinds["layers_without_macs"] += 0 if call.macs else 1
    return kinds


def latency_kind(op) -> str:
    cost = definition(op.kind).cost
    return cost(op) if callable(cost) else cost


@functools.cache
def _latency_table() -> dict:
    return json.loads((boards_dir() / "cores" / "latency.json").read_text())


def core_latency(core: str) -> dict:
    """The latency model's figures for a core: MACs per cycle by layer kind and the cycles of a
    layer without MACs, measured by benchmarks/latency_model.py (boards/cores/latency.json)."""
    table = _latency_table()
    core = table["same_as"].get(core, core)
    if core not in table["cores"]:
        raise TinygenError(f"no latency figures for {core} (boards/cores/latency.json has "
                           f"{', '.join(sorted(table['cores']))}): --latency cannot be estimated there")
    return table["cores"][core]


def latency_ms(kinds: dict[str, int], board) -> float | None:
    """Estimated milliseconds per inference at the board's clock (None without a clock)."""
    if board is None or not getattr(board, "clock_hz", None):
        return None
    figures = core_latency(board.core)
    rates = figures["macs_per_cycle"]
    cycles = sum(kinds[k] / rates[k] for k in LATENCY_KINDS if kinds[k])
    cycles += figures["cycles_per_layer_without_macs"] * kinds["layers_without_macs"]
    return round(1000.0 * cycles / board.clock_hz, 3)


class Evaluator:
    """Measures architectures with the planner against the budget, caching by architecture.

    `check` answers "does it fit?" as cheaply as the planner allows (stopping at the first plan
    within the SRAM limit); `measure` gives the exact peak SRAM, what `tinygen simulate` reports."""

    def __init__(self, space: SearchSpace, classes: int, in_channels: int, board, sram: int | None,
                 flash: int | None, latency: float | None = None, code: CodeModel | None = None,
                 max_mac_overhead: float = 0.2):
        self.space, self.classes, self.in_channels = space, classes, in_channels
        self.board = board
        self.sram, self.flash, self.latency = sram, flash, latency
        self.code = code or CodeModel()
        self.max_mac_overhead = max_mac_overhead
        self.exact: dict[tuple, Measured] = {}
        self.checked: dict[tuple, Measured] = {}
        self.stages = StageCache()

    def plan(self, arch: Arch) -> Plan:
        return arch.plan(self.space, self.classes, self.in_channels)

    def program(self, arch: Arch) -> Program:
        """The candidate compiled by compile_graph itself (slow; for the winner)."""
        return compile_plan(self.plan(arch), self.board, SMALLEST_ARENA.but(max_mac_overhead=self.max_mac_overhead))

    def _flash(self, fast: FastResult) -> int:
        return self.code.estimate(fast.constant_bytes, fast.calls)

    def _too_big(self, fast: FastResult) -> bool:
        """Over the flash or latency limit whatever the SRAM plan (a patch stage only adds code)."""
        return ((self.flash is not None and self._flash(fast) > self.flash)
                or (self.latency is not None and (latency_ms(fast.kinds, self.board) or 0) > self.latency))

    def _measured(self, arch: Arch, fast: FastResult) -> Measured:
        m = Measured(arch, fast.macs, parameter_count(self.plan(arch)), fast.peak_sram, self._flash(fast),
                     latency_ms(fast.kinds, self.board), None if fast.patch is None else plain(fast.patch),
                     {"constant_bytes": fast.constant_bytes, "calls": fast.calls, "exact": fast.exact})
        m.fit = self.fits(m)
        return m

    def fits(self, m: Measured) -> bool:
        return m.peak_sram is not None and m.fits(self.sram, self.flash, self.latency)

    def flash_lower_bound(self, plan: Plan) -> int:
        """No more than the flash estimate: every weight takes at least a byte and every bias four
        in the generated constants, and the code estimate grows with the number of calls (an SE
        block over a 1x1 map has one op fewer, so ops are counted as if it had none)."""
        weights, bias, ops = layer_counts(plan)
        ops -= sum(1 for b in plan.blocks if b.se)
        return self.code.estimate(weights + 4 * bias, {"ops": ops})

    def check(self, arch: Arch) -> Measured:
        key = arch.key(self.space)
        found = self.exact.get(key) or self.checked.get(key)
        if found is None and self.sram is not None:
            plan = self.plan(arch)
            bound = sram_lower_bound(plan)
            if bound > self.sram:
                weights, bias, ops = layer_counts(plan)
                found = self.checked[key] = Measured(arch, 0, parameter_count(plan), None,
                                                     self.flash_lower_bound(plan), None, None,
                                                     {"exact": False, "sram_lower_bound": bound,
                                                      "constant_bytes": weights + 4 * bias,
                                                      "calls": {"ops": ops}}, False)
        if found is None and self.flash is not None:
            plan = self.plan(arch)
            bound = self.flash_lower_bound(plan)
            if bound > self.flash:
                weights, bias, _ = layer_counts(plan)
                found = self.checked[key] = Measured(arch, 0, parameter_count(plan), None, bound, None, None,
                                                     {"exact": False, "flash_lower_bound": True,
                                                      "constant_bytes": weights + 4 * bias,
                                                      "calls": {"ops": layer_counts(plan)[2]}}, False)
        if found is None:
            fast = fast_peak(build_graph(self.plan(arch)), self.board, self.max_mac_overhead, self.stages,
                             limit=self.sram, reject=self._too_big)
            found = self.checked[key] = self._measured(arch, fast)
        return found.renamed(arch)

    def measure(self, arch: Arch) -> Measured:
        key = arch.key(self.space)
        found = self.exact.get(key)
        if found is None:
            checked = self.checked.get(key)
            if checked is not None and not checked.fit:
                return checked.renamed(arch)  # over a limit: the exact peak is not needed
            fast = fast_peak(build_graph(self.plan(arch)), self.board, self.max_mac_overhead, self.stages)
            found = self.exact[key] = self._measured(arch, fast)
        return found.renamed(arch)

    def recalibrated(self, code: CodeModel) -> None:
        """Use a new code model: cached flash estimates and fits are redone."""
        self.code = code
        # what was over a limit before may fit now: those are checked again when asked
        self.checked = {k: m for k, m in self.checked.items() if m.peak_sram is not None}
        for cache in (self.exact, self.checked):
            for m in cache.values():
                m.flash = code.estimate(m.extra["constant_bytes"], m.extra["calls"])
                m.fit = self.fits(m)


# --------------------------------------------------------------------------- the planner, fast

class StageCache:
    """Patch stages built once per sub-graph signature (op shapes, options and wiring) and grid,
    reused across candidates.

    A stage's geometry (its tile buffers, how its output may overlap its input, its MACs) depends
    only on the shapes, options and wiring of the ops it covers, which many architectures of one
    space share (their first blocks)."""

    def __init__(self):
        self.stages: dict[tuple, object] = {}

    @staticmethod
    def signature(sub) -> tuple:
        position = {id(op.outputs[0]): j for j, op in enumerate(sub.ops)}
        sig = [(tuple(sub.input.shape), sub.input.dtype)]
        for op in sub.ops:
            inputs = tuple("const" if t is None or t.is_const else position.get(id(t), "input") for t in op.inputs)
            shapes = tuple(None if t is None else (tuple(t.shape), t.dtype) for t in op.inputs)
            options = tuple(sorted((k, v if not isinstance(v, list) else tuple(v)) for k, v in op.options.items()))
            sig.append((op.kind, inputs, shapes, tuple(op.outputs[0].shape), options))
        return tuple(sig)

    def build(self, sub, grid, macs_layer_based: int, lower_op):
        from tinygen.patch import Stage, build_stage

        key = (self.signature(sub), tuple(grid))
        found = self.stages.get(key)
        if found is None:
            found = build_stage(sub, grid, macs_layer_based, lower_op)
            self.stages[key] = found
        # The cached geometry, attached to this graph's ops (no tile calls: only the plan is wanted).
        return Stage(sub, tuple(grid), [], found.scratch_bytes, {}, found.input_overlap, macs_layer_based,
                     found.macs - found.macs_layer_based + macs_layer_based)


RELIEF_MARGIN = 4096  # bytes: what compile_graph's last pass (leaner kernels at the peak) is assumed to save at most


def fast_peak(graph: Graph, board, max_mac_overhead: float = 0.2,
              stages: StageCache | None = None, limit: int | None = None, reject=None) -> "FastResult":
    """Peak SRAM, MACs, patch description and kernel calls of the graph as compile_graph(graph,
    SMALLEST_ARENA.but(max_mac_overhead=...), board) plans it: the compiler's
    own lowering, stage search (tinygen.compiler.plan_program) and final pass, with shortcuts
    that cannot change the result: a patch stage's geometry comes from `stages` when an
    identical sub-graph was built before.

    With `limit`, only whether the peak can be at most `limit` bytes is wanted: the search stops
    at the first plan within it (`exact` is then False and `peak_sram` an upper bound within the
    limit); plans more than RELIEF_MARGIN above it are not placed, and a network whose best plan
    is that far above is taken not to fit (peak_sram None). `reject(result)`, given the result
    before any plan is made, may end the work early (peak_sram is then None)."""
    from tinygen.compiler import StageSearch, lower_graph, lowering, plan_program, relieve_peak

    stages = stages if stages is not None else StageCache()
    options = SMALLEST_ARENA.but(max_mac_overhead=max_mac_overhead)
    lower_op = lowering(options, board)
    steps = lower_graph(graph, options, lower_op)
    calls = [(s.op, s.call) for s in steps if s.call.kind == "call"]
    model_macs = sum(call.macs for _, call in calls)
    counts: dict[str, int] = {}
    for _, call in calls:
        counts[call.kernel] = counts.get(call.kernel, 0) + 1
    constants, kinds = constant_bytes(call for _, call in calls), macs_by_kind(calls)
    if reject is not None and reject(FastResult(None, model_macs, None, counts, constants, kinds, False)):
        return FastResult(None, model_macs, None, counts, constants, kinds, False)
    ceiling = None if limit is None else limit + 1 + RELIEF_MARGIN  # plans at or above it do not matter
    search = StageSearch(build=stages.build, limit=limit, ceiling=ceiling)
    program = plan_program(graph, steps, options, lower_op, search)
    if program is None or (ceiling is not None and program.plan.arena_bytes >= ceiling):
        return FastResult(None, model_macs, None, counts, constants, kinds, False)
    patch = program.patch
    if patch is not None:
        counts["patch_stage"] = len(patch["stages"])
    if limit is not None and program.plan.arena_bytes <= limit:
        return FastResult(program.plan.arena_bytes, model_macs, patch, counts, constants, kinds, False)
    relieved = relieve_peak(graph, program).plan.arena_bytes  # compile_graph's last pass
    return FastResult(relieved, model_macs, patch, counts, constants, kinds, True)


@dataclass
class FastResult:
    peak_sram: int | None
    macs: int  # layer-based (a patch stage's recomputed halos are in patch["mac_overhead"])
    patch: dict | None
    calls: dict  # layer-based kernel calls per kernel, and "patch_stage": 1 when a stage is used
    constant_bytes: int  # constants of the layer-based calls
    kinds: dict  # MACs by layer kind, for the latency model
    exact: bool = True  # False: found within a limit, the true peak may be lower


