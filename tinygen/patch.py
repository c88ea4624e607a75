"""Patch-based inference (MCUNetV2): run the memory-heavy first stages of a network tile by tile.

A stage is a sub-graph from one full tensor (the model input, float32, uint8 or int8, or the
output of an earlier stage) to one output tensor: convolutions and pools, PADs, pointwise ops,
the model's input QUANTIZE, residual ADDs and concatenations of branches that start inside it.
Its output is split into a grid of tiles; each tile walks back along every branch to the region
of each tensor it needs (halo included), computes just those regions in small per-tile buffers
and copies its result into the full stage output. During the stage only its input, the per-tile
buffers and its output are live, instead of its largest activations. Tile ops are lowered by the
ordinary kernels with the tile's own geometry, so the arithmetic, and the bits, are those of the
layer-based code; where a tile reads only part of a larger tile buffer (a skip connection needs
a smaller region than the expansion conv beside it), elementwise kernels read it through a
strided view, and the input QUANTIZE reads just its region of the caller's input.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field, replace

import numpy as np

from tinygen.memory import Overlap, Plan, StepUse, lifetimes, lower_bound, place
from tinygen.memory.patches import Region, Window, needed_intervals, split
from tinygen.errors import TinygenError
from tinygen.ir import Graph, Op, Tensor
from tinygen.ops import Call, Record, Struct, View, call_scratches, definition, lower
from tinygen.ops.tiling import spatial_pads
from tinygen.ops.window import sliding_window, window_padding

TILE_COPY_PARAMS = Record("tg_tile_copy_params", """
    int32_t rows, cols, pixel_bytes, src_row_bytes, src_pixel_bytes, dst_row_bytes, dst_pixel_bytes;
""")
TILE_FILL_PARAMS = Record("tg_tile_fill_params", """
    int32_t bytes, value;
""")

MAX_GRID = 8  # tiles along each axis the automatic choice tries


@dataclass(eq=False)
class StageGraph:
    """The ops a stage covers, before any tiling: from `input` (a full tensor) to `output`."""
    input: Tensor
    ops: list[Op]  # in execution order
    output: Tensor
    kinds: list[str]  # how each op runs on a tile
    # Tile calls lowered so far, by op, tile shapes and origin: tiles of one shape share them.
    lowered: dict = field(default_factory=dict, repr=False)

    @functools.cached_property
    def reads(self) -> list:
        """Per op, (id of what it writes, [(id of an activation it reads, the window it reads it through)])."""
        return [(id(op.outputs[0]), [(id(t), _window(op, t)) for t in _reads(op)]) for op in self.ops]


@dataclass
class Stage:
    sub: StageGraph
    grid: tuple[int, int]  # tile rows x tile columns over the stage output
    calls: list[tuple[Op, Call]]  # every tile's kernel calls, in execution order
    scratch_bytes: int  # the per-tile buffers, planned among themselves
    tile_offsets: dict  # id(tile tensor or Scratch) -> offset within the scratch
    input_overlap: Overlap  # how the stage output may overlap the input it consumes
    macs_layer_based: int
    macs: int

    @property
    def ops(self) -> list[Op]:
        return self.sub.ops

    @property
    def input(self) -> Tensor:
        return self.sub.input

    @property
    def output(self) -> Tensor:
        return self.sub.output

    # The step protocol of tinygen.ops.Call: the stage reads its input and writes its output;
    # its tile buffers are one scratch block.
    kind = "patch_stage"

    def reads(self, op: Op) -> list[Tensor]:
        return [self.input]

    def writes(self, op: Op) -> list[Tensor]:
        return [self.output]

    def scratch(self) -> list[tuple[object, int]]:
        return [(self, self.scratch_bytes)]

    def overlaps(self, op: Op) -> list[tuple[Tensor, Tensor, Overlap]]:
        return [(self.input, self.output, self.input_overlap)]

    def kernel_calls(self, op: Op) -> list[tuple[Op, Call]]:
        return self.calls


# --------------------------------------------------------------------------- which sub-graphs can be a stage

def tiling_kind(op: Op) -> str | None:
    """How `op` runs on a tile (tinygen.ops.tiling), or None when it cannot: int16 activations
    (TFLM's 16x8 mode) run layer by layer, their tile kernels are int8 ones."""
    if op.has_int16_activations:
        return None
    defined = definition(op.kind)
    return defined.tiling(op) if defined and defined.tiling else None


def stage_graphs(graph: Graph, start: Tensor) -> list[StageGraph]:
    """Every sub-graph that can be a stage reading `start`, in execution order of its last op:
    the ops between `start` and a tensor T, each tileable, reading only `start`, constants and
    each other, whose results nobody outside reads but T; with at least one sliding window."""
    if not (len(start.shape) == 4 and start.shape[0] == 1):
        return []
    producer = {id(t): op for op in graph.ops for t in op.outputs}
    consumers: dict[int, list[Op]] = {}
    for op in graph.ops:
        for t in {id(t) for t in op.inputs if t is not None}:
            consumers.setdefault(t, []).append(op)
    reached = {id(start)}  # tensors computed from `start` by tileable ops alone
    kinds: dict[int, str] = {}
    for op in graph.ops:
        inputs = [t for t in op.inputs if t is not None and not t.is_const]
        kind = tiling_kind(op)
        if inputs and kind and all(id(t) in reached for t in inputs) and \
                (op.kind == "QUANTIZE" or start.dtype == "int8" or all(t is not start for t in inputs)):
            if kind == "pointwise" and inputs[0] is start:
                continue  # over the whole input, every tile: not worth a stage
            kinds[id(op)] = kind
            reached.update(id(t) for t in op.outputs)
    found = []
    for op in graph.ops:
        if id(op) not in kinds:
            continue
        members = _ancestors(op, producer, start)
        if _closed(graph, consumers, members, op.outputs[0]) and any(kinds[id(m)] == "window" for m in members):
            ordered = [m for m in graph.ops if m in members]
            found.append(StageGraph(start, ordered, op.outputs[0], [kinds[id(m)] for m in ordered]))
    return found


def _ancestors(op: Op, producer: dict, start: Tensor) -> set:
    members, todo = set(), [op]
    while todo:
        current = todo.pop()
        if current in members:
            continue
        members.add(current)
        todo.extend(producer[id(t)] for t in current.inputs
                    if t is not None and not t.is_const and t is not start and id(t) in producer)
    return members


def _closed(graph: Graph, consumers: dict, members: set, output: Tensor) -> bool:
    """Nothing outside the ops reads what they compute, but their output."""
    for op in members:
        for t in op.outputs:
            if t is output:
                continue
            if graph.is_boundary(t) or any(c not in members for c in consumers.get(id(t), [])):
                return False
    return True


# --------------------------------------------------------------------------- geometry

def _window(op: Op, t: Tensor) -> Window:
    """How op reads its activation input t: its sliding window, its padding, or pixel for pixel."""
    in_size = tuple(t.shape[1:3])
    kind = tiling_kind(op)
    if kind == "pad":
        top, _, left, _ = spatial_pads(op)
        return Window(in_size, pad=(top, left))
    if kind != "window":
        return Window(in_size)
    kernel, stride, dilation = sliding_window(op)
    return Window(in_size, kernel, stride, dilation, window_padding(op, *kernel, *dilation))


def _reads(op: Op) -> list[Tensor]:
    return [t for t in op.inputs if t is not None and not t.is_const]


def _full(t: Tensor) -> Region:
    return 0, t.shape[1], 0, t.shape[2]


@dataclass
class TileGeometry:
    region: Region  # of the stage output
    needed: dict  # id(tensor) -> the region this tile needs of it
    buffers: dict  # id(tensor) -> the region its tile buffer holds (at least what is needed)


@dataclass
class Bands:
    """One axis of a grid: per band of the stage output along it, the interval of each tensor the
    band needs and the interval its tile buffers hold. A pointwise op computes its whole input
    buffer (more than its consumers need where another branch needs more of that input); every
    other op computes what is needed."""
    intervals: list[tuple[int, int]]
    needed: list[dict]
    buffers: list[dict]


def _bands(sub: StageGraph, axis: int, parts: int) -> Bands | None:
    """None when some band would need an empty interval of a tensor (it reads padding only)."""
    size = sub.output.shape[1 + axis]
    intervals = split(size, parts)
    if len(intervals) != parts:
        return None
    bands = Bands(intervals, [], [])
    for band in intervals:
        needed = needed_intervals(sub.reads, id(sub.output), axis, band)
        if any(hi <= lo for lo, hi in needed.values()):
            return None
        held = {id(sub.input): (0, sub.input.shape[1 + axis])}
        for op, kind in zip(sub.ops, sub.kinds):
            out = id(op.outputs[0])
            held[out] = held[id(_reads(op)[0])] if kind == "pointwise" else needed[out]
        bands.needed.append(needed)
        bands.buffers.append(held)
    return bands


def _combine(rows: dict, cols: dict) -> dict:
    return {key: rows[key] + cols[key] for key in rows}


def tile_geometry(sub: StageGraph, grid: tuple[int, int], bands: tuple[Bands, Bands] | None = None
                  ) -> list[TileGeometry] | None:
    """Regions of every tensor for every tile, in raster order (None where a tile would need an
    empty region)."""
    rows, cols = bands or (_bands(sub, 0, grid[0]), _bands(sub, 1, grid[1]))
    if rows is None or cols is None:
        return None
    return [TileGeometry(rows.intervals[r] + cols.intervals[c], _combine(rows.needed[r], cols.needed[c]),
                         _combine(rows.buffers[r], cols.buffers[c]))
            for r in range(len(rows.intervals)) for c in range(len(cols.intervals))]


@dataclass
class GridChoice:
    """A grid worth trying for a stage, with what its geometry alone tells."""
    grid: tuple[int, int]
    bands: tuple[Bands, Bands]
    mac_overhead: float  # extra MACs as a fraction of the model's
    buffer_bytes: dict  # id(tensor) -> bytes of its largest tile buffer

    def geometry(self, sub: StageGraph) -> list[TileGeometry]:
        return tile_geometry(sub, self.grid, self.bands)


def _extents(bands: Bands, keys: list[int]) -> tuple[dict, dict]:
    """Per tensor, the sum and the largest of its tile buffers' lengths along the bands' axis."""
    lengths = {key: [held[key][1] - held[key][0] for held in bands.buffers] for key in keys}
    return {k: sum(v) for k, v in lengths.items()}, {k: max(v) for k, v in lengths.items()}


def tile_grids(sub: StageGraph, op_macs: dict, model_macs: int, max_mac_overhead: float) -> list[GridChoice]:
    """Every grid (rows x columns of tiles, up to MAX_GRID each) within the MAC overhead, least
    overhead first; `op_macs` gives each op's layer-based MACs by id. A tile's region is a band of
    rows times a band of columns, so the MACs of a grid come from the bands of each axis alone:
    summed over tiles, h * w is (sum of h) * (sum of w)."""
    outs = [op.outputs[0] for op in sub.ops]
    keys = [id(t) for t in outs]
    per_pixel = {id(op.outputs[0]): op_macs.get(id(op), 0) / (op.outputs[0].shape[1] * op.outputs[0].shape[2])
                 for op in sub.ops}
    layer_based = sum(op_macs.get(id(op), 0) for op in sub.ops)
    height, width = sub.output.shape[1:3]
    axes = []
    for axis, size in ((0, height), (1, width)):
        found = {}
        for n in range(1, min(MAX_GRID, size) + 1):
            bands = _bands(sub, axis, n)
            if bands is not None:
                found[n] = (bands, *_extents(bands, keys))
        axes.append(found)
    found = []
    for m, (row_bands, row_sums, row_max) in axes[0].items():
        for n, (col_bands, col_sums, col_max) in axes[1].items():
            if m * n == 1:
                continue
            tiled = sum(per_pixel[k] * row_sums[k] * col_sums[k] for k in keys)
            overhead = (tiled - layer_based) / max(model_macs, 1)
            if overhead <= max_mac_overhead + 1e-12:
                sizes = {id(t): row_max[id(t)] * col_max[id(t)] * t.shape[3] * np.dtype(t.dtype).itemsize for t in outs}
                found.append(GridChoice((m, n), (row_bands, col_bands), overhead, sizes))
    return sorted(found, key=lambda g: (g.mac_overhead, g.grid[0] * g.grid[1]))


def tile_floor(sub: StageGraph, choice: GridChoice) -> int:
    """No plan of the stage's tile buffers is smaller: each output may overlap its dying input
    as far as any kernel could let it, and the kernels' scratch is left out."""
    anywhere = Overlap(1 << 40)
    uses = [StepUse([id(t) for t in _reads(op) if t is not sub.input], [id(op.outputs[0])],
                    inplace=[(id(t), id(op.outputs[0]), anywhere) for t in _reads(op) if t is not sub.input])
            for op in sub.ops] + [StepUse([id(sub.output)], [])]
    buffers, overlaps = lifetimes(uses, choice.buffer_bytes, [], [])
    return lower_bound(list(buffers.values()), overlaps)


# --------------------------------------------------------------------------- tile calls

def _tile_tensor(t: Tensor, region: Region, tile_index: int) -> Tensor:
    shape = (1, region[1] - region[0], region[3] - region[2], t.shape[3])
    return Tensor(f"{t.name} (tile {tile_index})", shape, t.dtype, t.quant, index=t.index)


def _pixel_offset(buffer: Region, at: Region, t: Tensor) -> int:
    """Bytes from the start of a buffer holding `buffer` of t to the first pixel of `at`."""
    width = buffer[3] - buffer[2]
    return ((at[0] - buffer[0]) * width + at[2] - buffer[2]) * t.shape[3] * np.dtype(t.dtype).itemsize


def _view(buffer_tensor: Tensor, source: Tensor, buffer: Region, at: Region):
    offset = _pixel_offset(buffer, at, source)
    return buffer_tensor if offset == 0 and buffer == at else View(buffer_tensor, offset)


def _row_bytes(t: Tensor, region: Region) -> int:
    return (region[3] - region[2]) * t.shape[3] * np.dtype(t.dtype).itemsize


def copy_call(src, src_tensor: Tensor, src_buffer: Region, dst, dst_tensor: Tensor, dst_buffer: Region,
              at: Region, dst_at: Region, channel_offset: int = 0) -> Call:
    """Copy region `at` of src_tensor (held in a buffer of region src_buffer) to region `dst_at`
    of dst_tensor's buffer, starting at channel `channel_offset` there."""
    item = np.dtype(src_tensor.dtype).itemsize
    pixel = src_tensor.shape[3] * item
    src_view = _view(src, src_tensor, src_buffer, at)
    dst_offset = _pixel_offset(dst_buffer, dst_at, dst_tensor) + channel_offset * item
    dst_view = dst if dst_offset == 0 else View(dst, dst_offset)
    params = TILE_COPY_PARAMS({
        "rows": at[1] - at[0], "cols": at[3] - at[2], "pixel_bytes": pixel,
        "src_row_bytes": _row_bytes(src_tensor, src_buffer), "src_pixel_bytes": pixel,
        "dst_row_bytes": _row_bytes(dst_tensor, dst_buffer), "dst_pixel_bytes": dst_tensor.shape[3] * item,
    })
    return Call("tile_copy", "tg_tile_copy", [params, src_view, dst_view])


def _fill_call(out: Tensor, value: int) -> Call:
    return Call("tile_copy", "tg_tile_fill", [TILE_FILL_PARAMS({"bytes": out.nbytes, "value": value}),
                                              out])


class _TileLowering:
    """The kernel calls of one tile, op by op, with the in-place pairs and scratch they allow."""

    def __init__(self, sub: StageGraph, tile: TileGeometry, index: int, lower_op):
        self.sub, self.tile, self.lower_op = sub, tile, lower_op
        self.tensors = {id(sub.input): sub.input}
        for op in sub.ops:
            t = op.outputs[0]
            self.tensors[id(t)] = _tile_tensor(t, tile.buffers[id(t)], index)

    def buffer(self, t: Tensor) -> Tensor:
        return self.tensors[id(t)]

    def calls(self, op: Op, kind: str) -> list[Call]:
        return getattr(self, f"_{kind}")(op)

    def _retarget(self, op: Op, **options) -> Op:
        inputs = [t if t is None or t.is_const else self.buffer(t) for t in op.inputs]
        return Op(op.kind, inputs, [self.buffer(op.outputs[0])], {**op.options, **options, "in_tile": True}, op.index)

    def _lowered(self, op: Op, **options) -> Call:
        """lower_op of the tile op, from the calls of an earlier tile of the same shapes where there is one."""
        tile_op = self._retarget(op, **options)
        activations = [t for t in tile_op.inputs + tile_op.outputs if t is not None and not t.is_const]
        key = (id(op), id(self.lower_op), tuple(sorted(options.items())), tuple(t.shape for t in activations))
        found = self.sub.lowered.get(key)
        if found is None:
            found = self.sub.lowered[key] = (self.lower_op(tile_op), activations)
        call, their = found
        mapping = {id(a): b for a, b in zip(their, activations)}
        return replace(call, args=[_swapped(a, mapping) for a in call.args],
                       inplace=[replace(i, input=_swapped(i.input, mapping)) for i in call.inplace])

    def _window(self, op: Op) -> list[Call]:
        window = _window(op, op.inputs[0])
        source, out = self.tile.buffers[id(op.inputs[0])], self.tile.buffers[id(op.outputs[0])]
        # The padding that puts this tile's first window where it lies in the source buffer.
        origin = (window.pad[0] - out[0] * window.stride[0] + source[0],
                  window.pad[1] - out[2] * window.stride[1] + source[2])
        return [self._lowered(op, window_origin=origin)]

    def _pointwise(self, op: Op) -> list[Call]:
        return [self._lowered(op)]

    def _pad(self, op: Op) -> list[Call]:
        x, out = op.inputs[0], op.outputs[0]
        top, _, left, _ = spatial_pads(op)
        out_region = self.tile.buffers[id(out)]
        at = _window(op, x).input_region(out_region)
        dst_at = (at[0] + top, at[1] + top, at[2] + left, at[3] + left)
        value = lower(op).args[0].fields["value"]
        return [_fill_call(self.buffer(out), value),
                copy_call(self.buffer(x), x, self.tile.buffers[id(x)], self.buffer(out), out, out_region, at, dst_at)]

    def _strided(self, op: Op) -> list[Call]:
        out = op.outputs[0]
        region = self.tile.buffers[id(out)]
        if all(self.tile.buffers[id(t)] == region for t in _reads(op)):
            return [self._lowered(op)]  # every operand exactly the tile: the usual kernel
        if op.kind == "CONCATENATION":
            calls, channel = [], 0
            for t in op.inputs:
                calls.append(copy_call(self.buffer(t), t, self.tile.buffers[id(t)], self.buffer(out), out, region,
                                       region, region, channel))
                channel += t.shape[3]
            return calls
        # Regions of larger buffers: the op reads them through views, row by row.
        operands = [self._shaped_like(t, region) for t in op.inputs]
        views = [(self.buffer(t), _pixel_offset(self.tile.buffers[id(t)], region, t),
                  _row_bytes(t, self.tile.buffers[id(t)]) // np.dtype(t.dtype).itemsize) for t in op.inputs]
        tile_op = Op(op.kind, operands, [self.buffer(out)], {**op.options, "input_views": views, "in_tile": True},
                     op.index)
        return [self.lower_op(tile_op)]

    def _shaped_like(self, t: Tensor, region: Region) -> Tensor:
        return Tensor(t.name, (1, region[1] - region[0], region[3] - region[2], t.shape[3]), t.dtype, t.quant,
                      index=t.index)


def _swapped(arg, mapping: dict):
    """A call argument with the tile tensors it names replaced (structs copied: the planner sets
    fields of each call's own)."""
    if isinstance(arg, Struct):
        return Struct(arg.ctype, {k: _swapped(v, mapping) for k, v in arg.fields.items()})
    if isinstance(arg, list):
        return [_swapped(v, mapping) for v in arg]
    return mapping.get(id(arg), arg)


# --------------------------------------------------------------------------- building a stage

@dataclass
class _TileSchedule:
    calls: list[tuple[Op, Call]] = field(default_factory=list)
    sizes: dict = field(default_factory=dict)  # id(tensor) -> largest tile buffer bytes
    overlaps: dict = field(default_factory=dict)  # (id(input), id(output)) -> [Overlap per tile]
    tensors: dict = field(default_factory=dict)  # id(tile tensor) -> id(tensor) it holds a region of
    scratch: dict = field(default_factory=dict)  # op position -> largest scratch a tile's kernel needs
    scratch_owners: dict = field(default_factory=dict)  # id(Scratch) -> ("scratch", op position)


def build_stage(sub: StageGraph, grid: tuple[int, int] | int, macs_layer_based: int, lower_op=lower) -> Stage:
    grid = (grid, grid) if isinstance(grid, int) else tuple(grid)
    geometry = tile_geometry(sub, grid)
    if geometry is None:
        raise TinygenError(f"a {grid[0]}x{grid[1]} grid leaves a tile of the stage ending at "
                           f"{sub.output.describe()} without input")
    schedule = _TileSchedule()
    for index, tile in enumerate(geometry):
        lowering = _TileLowering(sub, tile, index, lower_op)
        for j, (op, kind) in enumerate(zip(sub.ops, sub.kinds)):
            out = lowering.buffer(op.outputs[0])
            schedule.sizes[id(op.outputs[0])] = max(schedule.sizes.get(id(op.outputs[0]), 0), out.nbytes)
            schedule.tensors[id(out)] = id(op.outputs[0])
            for call in lowering.calls(op, kind):
                schedule.calls.append((op, call))
                for s in call_scratches(call):
                    schedule.scratch[j] = max(schedule.scratch.get(j, 0), s.nbytes)
                    schedule.scratch_owners[id(s)] = ("scratch", j)
                for t in _reads(op):
                    if t is not sub.input:
                        pairs = [Overlap(i.forward, i.backward) for i in call.inplace if i.input is lowering.buffer(t)]
                        schedule.overlaps.setdefault((id(t), id(op.outputs[0])), []).extend(pairs[:1] or [None])
        schedule.calls.append((sub.ops[-1], copy_call(
            lowering.buffer(sub.output), sub.output, tile.buffers[id(sub.output)], sub.output, sub.output,
            _full(sub.output), tile.region, tile.region)))
    plan, buffers = _plan_tile_buffers(sub, schedule)
    offsets = {key: plan.offsets[buffer] for key, buffer in buffers.items()}
    owners = {**schedule.tensors, **schedule.scratch_owners}
    return Stage(sub, grid, schedule.calls, plan.arena_bytes, {item: offsets[key] for item, key in owners.items()},
                 input_overlap(sub, geometry), macs_layer_based, sum(call.macs for _, call in schedule.calls))


def _conservative(overlaps: list[Overlap | None]) -> Overlap | None:
    """What is safe for every tile at once (None: some tile's kernel allows no overlap)."""
    if any(o is None for o in overlaps):
        return None
    forwards = [o.forward for o in overlaps]
    backwards = [o.backward for o in overlaps]
    return Overlap(None if None in forwards else min(forwards), None if None in backwards else max(backwards))


def _plan_tile_buffers(sub: StageGraph, schedule: _TileSchedule) -> tuple[Plan, dict]:
    """One buffer per tensor of the stage, sized for its largest tile; the stage input is outside
    (it is the full tensor), so ops reading it overlap nothing."""
    uses = []
    for j, op in enumerate(sub.ops):
        reads = [id(t) for t in _reads(op) if t is not sub.input]
        use = StepUse(reads, [id(op.outputs[0])])
        if j in schedule.scratch:
            use.scratch = [(("scratch", j), schedule.scratch[j])]
        for key in reads:
            where = _conservative(schedule.overlaps.get((key, id(op.outputs[0])), [None]))
            if where is not None:
                use.inplace.append((key, id(op.outputs[0]), where))
        uses.append(use)
    uses.append(StepUse([id(sub.output)], []))
    buffers, overlaps = lifetimes(uses, schedule.sizes, [], [])
    return place(list(buffers.values()), overlaps), buffers


def input_overlap(sub: StageGraph, geometry: list[TileGeometry]) -> Overlap:
    """Tile t's copy writes stage output rows while later tiles still read the input below them:
    the output may start at most this many bytes after the input and overwrite none of it."""
    x, y = sub.input, sub.output
    in_row, in_px = _row_bytes(x, _full(x)), x.shape[3] * np.dtype(x.dtype).itemsize
    out_row, out_px = _row_bytes(y, _full(y)), y.shape[3] * np.dtype(y.dtype).itemsize
    firsts = [tile.needed[id(x)][0] * in_row + tile.needed[id(x)][2] * in_px for tile in geometry]
    bound, written = None, 0
    for t in range(len(geometry) - 1):
        y0, y1, x0, x1 = geometry[t].region
        written = max(written, (y1 - 1) * out_row + x1 * out_px)
        slack = min(firsts[t + 1:]) - written
        bound = slack if bound is None else min(bound, slack)
    return Overlap(bound if bound is not None else 0)


# --------------------------------------------------------------------------- reporting

def tiled_macs_overhead(stage: Stage, model_macs: int) -> float:
    return (stage.macs - stage.macs_layer_based) / max(model_macs, 1)


def describe(stages: list[Stage], model_macs: int) -> dict:
    """What program.patch says of the patch-based stages."""
    described = [{
        "ops": [op.index for op in s.ops], "op_kinds": [op.kind for op in s.ops], "tiles": list(s.grid),
        "stage_input": s.input.name, "stage_output": s.output.name, "stage_output_shape": list(s.output.shape),
        "tile_buffer_bytes": s.scratch_bytes, "mac_overhead": tiled_macs_overhead(s, model_macs),
        "extra_macs": s.macs - s.macs_layer_based,
    } for s in stages]
    return {"stages": described, "ops": [i for s in described for i in s["ops"]],
            "mac_overhead": sum(s["mac_overhead"] for s in described),
            "extra_macs": sum(s["extra_macs"] for s in described)}


def grid_text(tiles) -> str:
    return f"{tiles[0]}x{tiles[1]}"


def summary(patch: dict) -> str:
    """One line per program: 'ops 0-7 in 4x4 tiles, then ops 8-12 in 2x1 tiles (+9.0% MACs)'."""
    parts = [f"ops {s['ops'][0]}-{s['ops'][-1]} in {grid_text(s['tiles'])} tiles" for s in patch["stages"]]
    return ", then ".join(parts) + f" (+{100 * patch['mac_overhead']:.1f}% MACs)"
