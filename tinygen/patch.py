"""Patch-based inference (MCUNetV2): run the first, memory-heavy stage of a network tile by tile.

The stage is a chain of sliding-window and pointwise ops starting at the model input. Its
output is split into n x n tiles; each tile walks back through the stage to the input region
it needs (halo included) and runs every op of the stage on just that region, in small per-tile
buffers, before its result is copied into the full stage output. Only the model input, the
per-tile buffers and the stage output are live during the stage, instead of the stage's
largest activations. Each tile op is lowered by the ordinary kernels with the tile's own
geometry, so the arithmetic, and the bits, are those of the layer-based code.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from memory_planner import Overlap, Plan, StepUse, lifetimes, place
from memory_planner.patches import Region, Window, area, regions, tiles
from tinygen.errors import TinygenError
from tinygen.ir import Graph, Op, Tensor
from tinygen.ops import Call, Struct, call_scratches, lower
from tinygen.ops.window import window_padding

WINDOWED = {"CONV_2D": "kernel", "DEPTHWISE_CONV_2D": "kernel", "AVERAGE_POOL_2D": "filter", "MAX_POOL_2D": "filter"}
POINTWISE = {"RELU", "RELU6", "LEAKY_RELU", "HARD_SWISH", "LOGISTIC", "TANH"}


@dataclass
class Stage:
    ops: list[Op]  # the ops of the layer-based graph this stage replaces
    n: int
    calls: list[tuple[Op, Call]]  # every tile's ops and its insert, in execution order
    scratch_bytes: int  # the per-tile buffers, planned among themselves
    tile_offsets: dict  # id(tile tensor) -> offset within the scratch
    input_overlap: Overlap  # how the stage output may overlap the input it consumes
    macs_layer_based: int
    macs: int

    @property
    def input(self) -> Tensor:
        return self.ops[0].inputs[0]

    @property
    def output(self) -> Tensor:
        return self.ops[-1].outputs[0]


def stage_chain(graph: Graph) -> list[Op]:
    """The longest chain of tileable ops from the model input, each read only by the next."""
    if len(graph.inputs) != 1:
        return []
    chain, tensor = [], graph.inputs[0]
    while True:
        readers = graph.consumers(tensor)
        if len(readers) != 1 or len(tensor.shape) != 4 or tensor.shape[0] != 1 or tensor.dtype != "int8":
            return chain
        op = readers[0]
        if op.kind not in WINDOWED and op.kind not in POINTWISE:
            return chain
        if op.inputs[0] is not tensor or any(t is not None and not t.is_const for t in op.inputs[1:]):
            return chain
        chain.append(op)
        tensor = op.outputs[0]
        if graph.is_boundary(tensor):
            return chain


def _window(op: Op) -> Window:
    in_size = tuple(op.inputs[0].shape[1:3])
    if op.kind not in WINDOWED:
        return Window(in_size)
    o = op.options
    if WINDOWED[op.kind] == "kernel":
        kernel, dilation = tuple(op.inputs[1].shape[1:3]), (o["dilation_h"], o["dilation_w"])
    else:
        kernel, dilation = (o["filter_height"], o["filter_width"]), (1, 1)
    pad = window_padding(op, *kernel, *dilation)
    return Window(in_size, kernel, (o["stride_h"], o["stride_w"]), dilation, pad)


def _tile_tensor(t: Tensor, region: Region, tile_index: int) -> Tensor:
    shape = (1, region[1] - region[0], region[3] - region[2], t.shape[3])
    return Tensor(f"{t.name} (tile {tile_index})", shape, t.dtype, t.quant, index=t.index)


def _tile_op(op: Op, window: Window, source: Tensor, source_region: Region, out_region: Region,
             output: Tensor) -> Op:
    options = dict(op.options)
    if op.kind in WINDOWED:
        # The padding that puts this tile's first window where it lies in the source buffer.
        options["window_origin"] = (window.pad[0] - out_region[0] * window.stride[0] + source_region[0],
                                    window.pad[1] - out_region[2] * window.stride[1] + source_region[2])
    return Op(op.kind, [source] + op.inputs[1:], [output], options, op.index)


def _insert(tile: Tensor, region: Region, full: Tensor) -> Call:
    _, _, width, channels = full.shape
    item = np.dtype(full.dtype).itemsize
    params = Struct("tg_tile_insert_params", {
        "rows": region[1] - region[0], "row_bytes": (region[3] - region[2]) * channels * item,
        "dst_row_bytes": width * channels * item, "dst_offset": (region[0] * width + region[2]) * channels * item,
    })
    return Call("tile_insert", "tg_tile_insert", [params, tile, full])


def _conservative(overlaps: list[Overlap]) -> Overlap:
    """What is safe for every tile at once."""
    forwards = [o.forward for o in overlaps]
    backwards = [o.backward for o in overlaps]
    return Overlap(None if None in forwards else min(forwards), None if None in backwards else max(backwards))


@dataclass
class _TileSchedule:
    calls: list[tuple[Op, Call]] = field(default_factory=list)
    sizes: dict = field(default_factory=dict)  # op position -> largest tile output bytes
    overlaps: dict = field(default_factory=dict)  # op position -> [Overlap with its input tile]
    tensors: dict = field(default_factory=dict)  # id(tile tensor) -> op position writing it
    scratch: dict = field(default_factory=dict)  # op position -> largest scratch a tile's kernel needs
    scratch_owners: dict = field(default_factory=dict)  # id(Scratch) -> ("scratch", op position)


def _input_overlap(grid: list[Region], chains: list[list[Region]], stage_in: Tensor, stage_out: Tensor) -> Overlap:
    """Tile t's insert writes stage output rows while later tiles still read the input below
    them: the output may start at most this many bytes after the input and overwrite none of it."""
    in_row, in_px = stage_in.shape[2] * stage_in.shape[3], stage_in.shape[3]
    out_row, out_px = stage_out.shape[2] * stage_out.shape[3], stage_out.shape[3]
    bound, written = None, 0
    for t in range(len(grid) - 1):
        y0, y1, x0, x1 = grid[t]
        written = max(written, (y1 - 1) * out_row + x1 * out_px)
        first_needed = min(c[0][0] * in_row + c[0][2] * in_px for c in chains[t + 1:])
        bound = first_needed - written if bound is None else min(bound, first_needed - written)
    return Overlap(bound if bound is not None else 0)


def build_stage(ops: list[Op], n: int, macs_layer_based: int, lower_op=lower) -> Stage:
    windows = [_window(op) for op in ops]
    stage_in, stage_out = ops[0].inputs[0], ops[-1].outputs[0]
    grid = tiles(stage_out.shape[1], stage_out.shape[2], n)
    chains = [regions(windows, tile) for tile in grid]
    schedule = _TileSchedule()
    for t, chain in enumerate(chains):
        source, source_region = stage_in, (0, stage_in.shape[1], 0, stage_in.shape[2])
        for j, (op, window) in enumerate(zip(ops, windows)):
            output = _tile_tensor(op.outputs[0], chain[j + 1], t)
            call = lower_op(_tile_op(op, window, source, source_region, chain[j + 1], output))
            schedule.calls.append((op, call))
            schedule.sizes[j] = max(schedule.sizes.get(j, 0), output.nbytes)
            schedule.tensors[id(output)] = j
            for s in call_scratches(call):
                schedule.scratch[j] = max(schedule.scratch.get(j, 0), s.nbytes)
                schedule.scratch_owners[id(s)] = ("scratch", j)
            schedule.overlaps.setdefault(j, []).extend(
                Overlap(i.forward, i.backward) for i in call.inplace if i.input is source)
            source, source_region = output, chain[j + 1]
        schedule.calls.append((ops[-1], _insert(source, grid[t], stage_out)))
    plan, buffers = _plan_tile_buffers(ops, schedule)
    offsets = {key: plan.offsets[buffer] for key, buffer in buffers.items()}
    owners = {**schedule.tensors, **schedule.scratch_owners}
    return Stage(ops, n, schedule.calls, plan.arena_bytes, {item: offsets[key] for item, key in owners.items()},
                 _input_overlap(grid, chains, stage_in, stage_out), macs_layer_based,
                 sum(call.macs for _, call in schedule.calls))


def _plan_tile_buffers(ops: list[Op], schedule: _TileSchedule) -> tuple[Plan, dict]:
    """One buffer per op output, sized for the largest tile; the first op reads the model input
    itself, so only later ops may overlap their input tile."""
    uses = []
    for j in range(len(ops)):
        use = StepUse([j - 1] if j else [], [j])
        if j in schedule.scratch:
            use.scratch = [(("scratch", j), schedule.scratch[j])]
        if j and schedule.overlaps.get(j):
            use.inplace = [(j - 1, j, _conservative(schedule.overlaps[j]))]
        uses.append(use)
    uses.append(StepUse([len(ops) - 1], []))
    buffers, overlaps = lifetimes(uses, schedule.sizes, [], [])
    return place(list(buffers.values()), overlaps), buffers


def tiled_macs_overhead(stage: Stage, model_macs: int) -> float:
    return (stage.macs - stage.macs_layer_based) / max(model_macs, 1)


def describe(stage: Stage, model_macs: int) -> dict:
    return {"ops": [op.index for op in stage.ops], "op_kinds": [op.kind for op in stage.ops], "tiles": stage.n,
            "stage_output": stage.output.name, "stage_output_shape": list(stage.output.shape),
            "tile_buffer_bytes": stage.scratch_bytes,
            "mac_overhead": tiled_macs_overhead(stage, model_macs)}


def candidate_stages(graph: Graph, model_macs: int, max_mac_overhead: float, lower_op=lower, max_tiles: int = 8):
    """Every (stage, n) worth trying: each prefix of the tileable chain, n from 2 up, within the
    MAC overhead (counted from the tiles' regions before anything is lowered)."""
    chain = stage_chain(graph)
    if not chain or not any(op.kind in WINDOWED for op in chain):
        return
    op_macs = [lower(op).macs for op in chain]
    per_pixel = [m / (op.outputs[0].shape[1] * op.outputs[0].shape[2]) for m, op in zip(op_macs, chain)]
    for length in range(1, len(chain) + 1):
        ops = chain[:length]
        windows = [_window(op) for op in ops]
        height, width = ops[-1].outputs[0].shape[1:3]
        for n in range(2, min(max_tiles, height, width) + 1):
            tiled = sum(area(region) * per_pixel[j] for tile in tiles(height, width, n)
                        for j, region in enumerate(regions(windows, tile)[1:]))
            if (tiled - sum(op_macs[:length])) / max(model_macs, 1) > max_mac_overhead:
                continue
            try:
                yield build_stage(ops, n, sum(op_macs[:length]), lower_op)
            except TinygenError:
                return

