"""tinygen's optimized kernels ("builtin" backend): the reference call of a layer becomes a call to
a kernel in tinygen/kernels/builtin/opt_*.h specialized for it, computing the same bits.

Each optimized kernel is written once in C with the DSP extension's SIMD instructions behind
tg_simd.h (their portable equivalents elsewhere, so the host runs the same algorithm), and all
its per-layer data is prepared here: weights rearranged into the order the inner loops read them,
biases with the input zero point folded in, requantization constants (builtin_quant.py).

- CONV_2D, and DEPTHWISE_CONV_2D with one input channel (a convolution in disguise): opt_conv,
  im2col into 16-bit columns and four output pixels per pass over the weights (1x1 windows read
  the input directly), weights pre-widened to 16 bits in the layers whose weights serve the most
  pixels, as far as the board's flash has room (widened_layers), on cores with the DSP extension
  and the host (elsewhere the loads read bytes as fast: opt_conv_nodsp.h).
- DEPTHWISE_CONV_2D with depth multiplier 1: opt_dwconv_rows for wide rows with horizontal
  stride 1 (input rows widened once into per-channel planes, blocks of four outputs per channel,
  SMLAD over pairs of taps stored once each), else opt_dwconv, four channels per pass, windows
  unrolled into fixed offsets (inside the input, and in a layer's own call at its borders too).
- FULLY_CONNECTED: opt_fc, four units per pass over the input.
- ADD/SUB of same-shape tensors (or regions of them, row by row): opt_add, the input rescaling
  tabulated.
Anything else (grouped convolutions, other depth multipliers, broadcasting, MUL) keeps its
reference kernel.

A layer-based call runs the kernel's always-inline body (`*_inline`): given the address of its
`static const` parameters, the compiler folds the layer's shapes and modes into that call site.
A call inside a patch-based stage (one per tile, tens of them) runs an out-of-line variant
instead: opt_conv one that model.c defines per layer with every field its tiles share fixed
(tinygen.ops.tile_function); so does opt_dwconv, and opt_add runs its one out-of-line copy
(opt_add.c).
"""
from __future__ import annotations

import numpy as np

from tinygen.backends import builtin_mve
from tinygen.backends.builtin_quant import Requant, accumulator_range, requant
from tinygen.ir import Op
from tinygen.ops import Array, Call, Record, Scratch, constant_bytes, tile_function
from tinygen.ops.binary import rescaled_input, same_shape_rows
from tinygen.ops.window import conv_geometry, depthwise_geometry, is_pointwise
from tinygen.ops.inplace import InPlace, window_inplace

OPT_ADD_PARAMS = Record("opt_add_params", """
    int32_t rows, size, a_row_stride, b_row_stride, subtract, exact, sign_fix, output_offset,
        act_min, act_max;
    const int32_t *a_table, *b_table, *rq;
""")
OPT_CONV_PARAMS = Record("opt_conv_params", """
    int32_t batches, in_h, in_w, in_c, out_h, out_w, out_c, kernel_h, kernel_w, stride_h, stride_w,
        dilation_h, dilation_w, pad_top, pad_left, pointwise, k4, pad_value, doubled, group, wide, exact,
        sign_fix, output_offset, act_min, act_max;
    const int32_t *channels;
    int32_t reverse;
""")
OPT_DWCONV_PARAMS = Record("opt_dwconv_params", """
    int32_t batches, in_h, in_w, channels, out_h, out_w, kernel_h, kernel_w, stride_h, stride_w,
        dilation_h, dilation_w, pad_top, pad_left, input_offset, inner_y0, inner_y1, inner_x0,
        inner_x1, exact, sign_fix, output_offset, act_min, act_max;
    const int32_t *weights, *bias, *rq;
    int32_t reverse;
""")
OPT_DWCONV_ROWS_PARAMS = Record("opt_dwconv_rows_params", """
    int32_t batches, in_h, in_w, channels, out_h, out_w, kernel_h, kernel_w, stride_h, pad_top, pad_left,
        input_offset, band_w, exact, sign_fix, output_offset, act_min, act_max;
    const int32_t *weights, *bias, *rq;
""")
OPT_FC_PARAMS = Record("opt_fc_params", """
    int32_t batches, depth, units, rq_stride, exact, sign_fix, output_offset, act_min, act_max;
    const int32_t *weights, *bias, *rq;
""")

CONV_GROUP = 4  # output pixels per pass in opt_conv.h
# Flash the code takes, at most, in the budget for pre-widened weights: per call, and per chunk a
# layer-based opt_conv writes out (OPT_CONV_UNROLL in opt_conv.h), and for the rest. Measured with
# arm-none-eabi-gcc -O2 for the M4: ic_resnet8 71,880 B of code against the 77,712 allowed, vww_96
# 44,636 B against 89,776.
CODE_BYTES_PER_CALL = 1536
CODE_BYTES_PER_CHUNK = 112
CODE_BYTES_BASE = 8192
CONV_UNROLL = 144  # OPT_CONV_UNROLL
# The fields every tile of a layer shares (the tile's extent, padding and direction vary), fixed in
# its out-of-line function.
CONV_TILE_FIXED = ("batches", "in_c", "out_c", "kernel_h", "kernel_w", "stride_h", "stride_w", "dilation_h",
                   "dilation_w", "pointwise", "k4", "pad_value", "doubled", "group", "wide", "exact", "sign_fix",
                   "output_offset", "act_min", "act_max")
DIRECT_STACK_WORDS = 64  # OPT_CONV_DIRECT_STACK_WORDS in opt_conv.h
RQ_WORDS = 3  # requantization constants per channel (opt_common.h)
DWCONV_TILE_FIXED = ("batches", "channels", "kernel_h", "kernel_w", "stride_h", "stride_w", "dilation_h",
                     "dilation_w", "input_offset", "exact", "sign_fix", "output_offset", "act_min", "act_max")
# With the DSP extension, each tile shape of a layer gets its own function too (its extent, padding
# and inner bounds fixed; not its direction, which choose_directions sets after lowering):
# vww_96 9,635,843 -> 9,258,501 instructions on the M7 (patch auto) for 17.9 KB more flash,
# person_detect 10,462,373 -> 9,817,620 for 25 KB; on the M0 and M3 slower (the portable loops gain
# nothing from the constants) and larger, so not there.
DWCONV_TILE_SHAPE = ("in_h", "in_w", "out_h", "out_w", "pad_top", "pad_left", "inner_y0", "inner_y1", "inner_x0",
                     "inner_x1")
DWCONV_ROWS_MIN_WIDTH = 6  # output row width from which opt_dwconv_rows beats opt_dwconv (measured)


def specialize(op: Op, call: Call, options, target, wide: frozenset = frozenset()) -> Call:
    """The optimized call for `op`, or `call` (its reference call) when none applies. The kernels
    pick SIMD or portable code at compile time, so the board does not change the choice; --optimize
    memory keeps depthwise convolutions off opt_dwconv_rows, whose band would move the memory plan
    (its patch stages and peak) before the peak's leaner variants are tried. `wide`: the ops (their
    ids) of the convolutions whose weights are stored pre-widened (widened_layers). Cores with
    Helium (MVE) take the MVE kernels where they apply (builtin_mve.py)."""
    if builtin_mve.applies(target) and (mve := builtin_mve.specialize(op, call)) is not None:
        return mve
    # A tile call is one of many covering a high-resolution stage: its weights serve the whole layer.
    widen = id(op) in wide or (_repeated(op) and widens_weights(target) and options.wide_weights)
    if call.kernel == "depthwise_conv2d":
        return _depthwise(op, call, rows=options.optimize != "memory", widen=widen,
                          tile_shapes=dsp_code(target)) or call
    if call.kernel == "conv2d":
        return _conv(op, call, widen=widen) or call
    handler = {"fully_connected": _fully_connected, "binary": _add}.get(call.kernel)
    return (handler(op, call) if handler else None) or call


def widened_layers(graph, calls: list[tuple[Op, Call]], target) -> frozenset:
    """The layer-based convolutions (ids of their ops) whose weights to store pre-widened, given the
    calls made with narrow weights: in the order of instructions saved per extra byte (two per
    chunk and pass of a group of pixels, for four bytes), each while the model's flash
    (estimated_flash, with the firmware's sample input) stays within the target's flash limit.
    Every one on a target without a limit (the host); none on a core without the DSP extension."""
    if not widens_weights(target):
        return frozenset()
    candidates = [(op, call.args[0].fields) for op, call in calls
                  if call.kernel == "opt_conv" and not call.args[0].fields["wide"] and call.args[0].fields["group"]]
    limit = target.flash_limit_bytes if target is not None else None
    if limit is None:
        return frozenset(id(op) for op, _ in candidates)
    budget = limit - estimated_flash([call for _, call in calls], target.sample_input_bytes(graph.inputs))
    chosen = set()
    for op, f in sorted(candidates, key=lambda c: -_passes(c[1])):
        extra = 4 * f["k4"] * f["out_c"]  # a word more per chunk and output channel
        if extra <= budget:
            chosen.add(id(op))
            budget -= extra
    return frozenset(chosen)


def widens_weights(target) -> bool:
    """Whether pre-widened convolution weights pay on the target: with SXTB16 saved per chunk on
    cores with the DSP extension, and on the host, which runs the same algorithm as they do.
    Without DSP opt_conv_nodsp.h reads bytes as fast as halfwords, and widening doubles the flash."""
    return dsp_code(target)


def dsp_code(target) -> bool:
    """Whether the kernels run their DSP-extension algorithm on the target (the host runs it in
    portable C)."""
    return target is None or target.is_host or target.dsp


def estimated_flash(calls: list[Call], sample_bytes: int, code_margin: int = 1) -> int:
    """An upper estimate of a program's flash from its calls: their constant data, the sample
    input's bytes and `code_margin` times an allowance for code (CODE_BYTES_*)."""
    chunks = sum(call.args[0].fields["k4"] for call in calls
                 if call.function == "opt_conv_s8_inline" and call.args[0].fields["k4"] <= CONV_UNROLL)
    code = CODE_BYTES_BASE + CODE_BYTES_PER_CALL * len(calls) + CODE_BYTES_PER_CHUNK * chunks
    return constant_bytes(calls) + sample_bytes + code_margin * code


def _passes(f: dict) -> int:
    """How many times opt_conv reads each weight: once per group of pixels."""
    return f["batches"] * -(-f["out_h"] * f["out_w"] // f["group"])


# ---------------------------------------------------------------------------------------------
# Shared helpers


_CACHE: dict = {}


def _cached(objects: tuple, values: tuple, build):
    """build(), memoized on the identity of `objects` (kept alive by the cache) and on `values`:
    a patch-based stage lowers each layer once per tile, with the same weights every time."""
    key = (tuple(id(o) for o in objects), values)
    hit = _CACHE.get(key)
    if hit is not None and all(a is b for a, b in zip(hit[0], objects)):
        return hit[1]
    if len(_CACHE) > 1024:
        _CACHE.clear()
    value = build()
    _CACHE[key] = (objects, value)
    return value


def _repeated(op: Op) -> bool:
    """A call made once per tile of a patch-based stage."""
    return bool(op.options.get("in_tile"))


def _words(values: np.ndarray) -> np.ndarray:
    """int8 values (a multiple of 4 of them) as little-endian int32 words."""
    return np.ascontiguousarray(values, dtype=np.int8).reshape(-1).view("<i4").astype(np.int32)


def _lanes(bottom: np.ndarray, top: np.ndarray) -> np.ndarray:
    """Two int16 values per int32 word: bottom in bits 0-15, top in bits 16-31."""
    words = (np.asarray(bottom, np.int64) & 0xFFFF) | ((np.asarray(top, np.int64) & 0xFFFF) << 16)
    return words.astype(np.uint32).view(np.int32)


def _bias(f: dict):
    """One value per channel, whatever the bias tensor's rank (TFLM reads it as flat data)."""
    return None if f["bias"] is None else f["bias"].data.ravel()


def _requant(f: dict, weights: np.ndarray, bias) -> Requant:
    """weights: [channels, ...] as the accumulation sees them; bias: the original int32 bias."""
    x_range = accumulator_range(weights, bias, f["input_offset"])
    return requant(f["multiplier"].values, f["shift"].values, f["output_offset"], f["act_min"], f["act_max"],
                   x_range)


def _folded_bias(weights: np.ndarray, bias, input_offset: int, rq: Requant) -> np.ndarray:
    """bias + input_offset * sum(weights) per output channel (weights: [channels, ...]), as int64;
    0 for channels whose output is a constant (their accumulator is not looked at)."""
    sums = weights.reshape(weights.shape[0], -1).astype(np.int64).sum(axis=1)
    folded = (0 if bias is None else np.asarray(bias, np.int64)) + input_offset * sums
    if not rq.exact:
        folded[rq.table[:, 0] == 0] = 0
    return folded


def _fits(values: np.ndarray, scale: int = 1) -> bool:
    return bool(np.abs(np.asarray(values, np.int64) * scale).max(initial=0) < 1 << 31)


def _requant_values(f: dict) -> tuple:
    return (f["input_offset"], f["output_offset"], f["act_min"], f["act_max"],
            f["multiplier"].values.tobytes(), f["shift"].values.tobytes())


# ---------------------------------------------------------------------------------------------
# CONV_2D (and one-channel DEPTHWISE_CONV_2D): opt_conv


def _conv(op: Op, call: Call, group: int = CONV_GROUP, widen: bool = False) -> Call | None:
    f = call.args[0].fields
    return _conv_call(op, call, f, f["weights"], f["weights"].data, group, widen)


def leaner(op: Op, reference: Call, call: Call) -> Call | None:
    """A variant of an optimized call that needs less memory (scratch, in-place slack) and runs
    slower, for a call at the arena's peak: the compiler may try it and keep it where the arena
    shrinks; asked again, it goes further (4 pixels per pass, then 2, 1, and direct mode with the
    reference kernel's memory; a depthwise convolution by rows of planes gives up its band for
    opt_dwconv); None when there is none. `reference` is the op's reference call, `call` what
    specialize() or an earlier leaner() made of it."""
    if call.kernel == "opt_dwconv_rows":
        return _depthwise(op, reference, rows=False)
    if call.function != "opt_conv_s8_inline" or call.args[0].fields["group"] == 0:
        return None
    group, widen = call.args[0].fields["group"] // 2, bool(call.args[0].fields["wide"])
    if reference.kernel == "conv2d":
        return _conv(op, reference, group, widen)
    f = reference.args[0].fields
    return _conv_call(op, reference, f, f["weights"], np.transpose(f["weights"].data, (3, 1, 2, 0)), group, widen)


def _conv_call(op: Op, call: Call, f: dict, key, weights: np.ndarray, group: int = CONV_GROUP,
               widen: bool = False) -> Call | None:
    """opt_conv for weights [out_c, kh, kw, in_c], `group` output pixels per pass, pre-widened
    weights if `widen` (specialize: widened_layers, and tile calls); `key` identifies the weights for the
    cache."""
    x, out = op.inputs[0], op.outputs[0]
    out_c, kh, kw, in_c = weights.shape
    if in_c != x.shape[3]:
        return None  # grouped convolution
    k4 = -(-kh * kw * in_c // 4)
    layer = _cached((key, f["bias"]), ("conv", _requant_values(f)), lambda: _conv_layer(f, weights))
    if layer is None:
        return None
    rq = layer["rq"]
    wide = group > 0 and widen
    # The requantization's doubled accumulator: free with wide weights (stored doubled); doubling the
    # columns costs two instructions per chunk of each pixel and saves one per output (direct mode
    # has no columns).
    doubled = group > 0 and layer["can_double"] and (wide or out_c > 2 * k4)
    channels = layer["records"](2 if doubled else 1, wide)
    pointwise = is_pointwise(f, x)
    fields = conv_geometry(f)
    fields.update({"pointwise": int(pointwise), "k4": k4, "pad_value": -f["input_offset"], "doubled": int(doubled),
                   "group": group, "wide": int(wide), **rq.fields(), "channels": channels, "reverse": 0})
    # Columns of a group of pixels, then (for windows not made of whole 4-byte chunks) the window's
    # bytes; direct mode keeps windows up to DIRECT_STACK_WORDS words on the stack.
    stage = 0 if pointwise or in_c % 4 == 0 or (group == 0 and k4 <= DIRECT_STACK_WORDS) else k4 * 4
    scratch = group * k4 * 8 + stage
    inplace = window_inplace(x, out, f["stride_h"], f["stride_w"], f["pad_top"], f["pad_left"], kh, kw,
                             f["dilation_h"], f["dilation_w"], block=max(group, 1))
    local = tile_function(op, "OPT_CONV_TILES", "opt_conv_s8", fields, CONV_TILE_FIXED)
    args = [OPT_CONV_PARAMS(fields), x, out, Scratch(scratch) if scratch else None]
    return Call("opt_conv", local.name if local else "opt_conv_s8_inline", args, macs=call.macs,
                extra_kernels=["opt_common"], inplace=inplace, sources=(), local=local)


def _conv_layer(f: dict, weights: np.ndarray) -> dict | None:
    """The requantization, whether the accumulator may be doubled (fast mode, no overflow), and
    records(scale, wide): per output channel (bias * scale, weights (wide: widened, times scale),
    requantization), memoized."""
    out_c = weights.shape[0]
    bias = _bias(f)
    rq = _requant(f, weights, bias)
    folded = _folded_bias(weights, bias, f["input_offset"], rq)
    if not _fits(folded):
        return None
    k = weights[0].size
    rows = np.zeros((out_c, -(-k // 4) * 4), np.int8)
    rows[:, :k] = weights.reshape(out_c, k)
    forms: dict = {}

    def records(scale: int, wide: bool) -> Array:
        if (scale, wide) not in forms:
            weights = _wide_words(rows.astype(np.int64) * scale) if wide else _words(rows).reshape(out_c, -1)
            forms[scale, wide] = Array(np.concatenate(
                [(folded * scale)[:, None].astype(np.int32), weights, rq.table], axis=1).reshape(-1), "int32_t")
        return forms[scale, wide]

    return {"rq": rq, "can_double": not rq.exact and _fits(folded, 2), "records": records}


def _wide_words(rows: np.ndarray) -> np.ndarray:
    """Rows of weights (a multiple of 4 each, 16-bit values) as per chunk two words of 16-bit lanes, values
    (4k, 4k+2) then (4k+1, 4k+3): what SXTB16 and SXTB16 ROR 8 make of the chunk's word."""
    chunks = rows.reshape(rows.shape[0], -1, 4)
    words = np.stack([_lanes(chunks[..., 0], chunks[..., 2]), _lanes(chunks[..., 1], chunks[..., 3])], axis=-1)
    return words.reshape(rows.shape[0], -1)


# ---------------------------------------------------------------------------------------------
# DEPTHWISE_CONV_2D: opt_dwconv


def _depthwise(op: Op, call: Call, rows: bool = True, widen: bool = False,
               tile_shapes: bool = False) -> Call | None:
    """opt_dwconv_rows where it applies (`rows`), else opt_dwconv (tile calls: a function per
    layer, and per tile shape with `tile_shapes`); with one input channel opt_conv (pre-widened
    weights if `widen`)."""
    f = call.args[0].fields
    w = f["weights"].data  # [1, kh, kw, out_c]
    if f["in_c"] == 1:
        return _conv_call(op, call, f, f["weights"], np.transpose(w, (3, 1, 2, 0)), widen=widen)
    if f["depth_multiplier"] != 1:
        return None
    if rows and _rows_apply(op, f, w.shape):
        return _dwconv_rows_call(op, call, f, w)
    x, out = op.inputs[0], op.outputs[0]
    _, kh, kw, c = w.shape
    layer = _cached((f["weights"], f["bias"]), ("dwconv", _requant_values(f)), lambda: _dwconv_layer(f, w))
    rq = layer["rq"]
    fields = depthwise_geometry(f, x)
    fields.update({**rq.fields(), "weights": layer["weights"], "bias": layer["bias"], "rq": layer["table"],
                   "reverse": 0})
    inplace = window_inplace(x, out, f["stride_h"], f["stride_w"], f["pad_top"], f["pad_left"], kh, kw,
                             f["dilation_h"], f["dilation_w"])
    fixed = DWCONV_TILE_FIXED + (DWCONV_TILE_SHAPE if tile_shapes else ())
    local = tile_function(op, "OPT_DWCONV_TILES", "opt_dwconv_s8", fields, fixed)
    return Call("opt_dwconv", local.name if local else "opt_dwconv_s8_inline", [OPT_DWCONV_PARAMS(fields), x, out],
                macs=call.macs, extra_kernels=["opt_common"], inplace=inplace, sources=(), local=local)


def _rows_apply(op: Op, f: dict, shape: tuple) -> bool:
    """opt_dwconv_rows: layer-based calls with rows of at least DWCONV_ROWS_MIN_WIDTH outputs (a
    tile's or a narrow layer's few would not repay the band), whole groups of 4 channels, undilated
    windows at least 2 wide, horizontal stride 1 (with stride 2 each output's four
    new input values to widen cost more than opt_dwconv's direct reads: measured)."""
    _, kh, kw, c = shape
    return (not _repeated(op) and c % 4 == 0 and f["dilation_h"] == f["dilation_w"] == 1
            and kw >= 2 and f["stride_w"] == 1 and f["out_w"] >= DWCONV_ROWS_MIN_WIDTH)


def _dwconv_rows_call(op: Op, call: Call, f: dict, w: np.ndarray) -> Call:
    x, out = op.inputs[0], op.outputs[0]
    _, kh, kw, c = w.shape
    layer = _cached((f["weights"], f["bias"]), ("dwconv_rows", _requant_values(f)), lambda: _dwconv_rows_layer(f, w))
    # The last output the blocks compute (an odd row's extra one) reads kernel_w // 2 + 1 words from
    # word last // 2 on (opt_dwconv_rows_tap_row).
    last = f["out_w"] - 1 + f["out_w"] % 2
    band_words = last // 2 + kw // 2 + 1
    fields = {name: f[name] for name in ("batches", "in_h", "in_w", "out_h", "out_w", "kernel_h", "kernel_w",
                                         "stride_h", "pad_top", "pad_left", "input_offset")}
    fields.update({"channels": c, "band_w": 2 * band_words, **layer["rq"].fields(),
                   "weights": layer["weights"], "bias": layer["bias"], "rq": layer["table"]})
    # A row's windows are all read before any of its outputs is written; rows go front to back only.
    inplace = [InPlace(i.input, i.forward) for i in
               window_inplace(x, out, f["stride_h"], 1, f["pad_top"], f["pad_left"], kh, kw, block=f["out_w"])]
    scratch = Scratch(c * 2 * kh * band_words * 4)  # every band row twice (opt_dwconv_rows.h)
    return Call("opt_dwconv_rows", "opt_dwconv_rows_s8_inline", [OPT_DWCONV_ROWS_PARAMS(fields), x, out, scratch],
                macs=call.macs, extra_kernels=["opt_common"], inplace=inplace, sources=())


def _dwconv_rows_layer(f: dict, w: np.ndarray) -> dict:
    """Per channel and kernel row, the 16-bit weight pairs opt_dwconv_rows reads (see its params):
    with m = kernel_w // 2, A[j] = (w[2j], w[2j+1]) for j < m, then B[j] = (w[2j-1], w[2j]) for
    1 <= j <= m, taps past the window 0."""
    _, kh, kw, c = w.shape
    taps = w.reshape(kh * kw, c).astype(np.int64)
    bias = _bias(f)
    rq = _requant(f, taps.T, bias)
    scale = 2 if rq.doubled else 1
    m = kw // 2
    padded = np.zeros((c, kh, 2 * m + 1), np.int64)  # [channel][ky][tap], an even window's last tap 0
    padded[:, :, :kw] = np.transpose(w[0], (2, 0, 1)).astype(np.int64) * scale
    j = np.arange(m)
    words = np.concatenate([_lanes(padded[:, :, 2 * j], padded[:, :, 2 * j + 1]),  # A[j]
                            _lanes(padded[:, :, 2 * j + 1], padded[:, :, 2 * j + 2])], axis=-1)  # B[j + 1]
    bias = np.zeros(c, np.int64) if bias is None else np.asarray(bias, np.int64)
    if not rq.exact:
        bias[rq.table[:, 0] == 0] = 0  # constant channels: the accumulator is not looked at
    return {"rq": rq, "weights": Array(np.ascontiguousarray(words).reshape(-1).astype(np.int32), "int32_t"),
            "bias": Array((bias * scale).astype(np.int32), "int32_t"),
            "table": Array(rq.table.reshape(-1), "int32_t")}


def _dwconv_layer(f: dict, w: np.ndarray) -> dict:
    """Weights as 16-bit pairs per group of 4 channels ([group][tap] words (c0, c2), (c1, c3)), then
    the remaining channels [tap][channel]; weights and bias doubled in fast mode."""
    _, kh, kw, c = w.shape
    taps = w.reshape(kh * kw, c).astype(np.int64)
    bias = _bias(f)
    rq = _requant(f, taps.T, bias)
    scale = 2 if rq.doubled else 1
    taps = taps * scale
    groups = c // 4
    packed = [np.stack([_lanes(t[:, 0], t[:, 2]), _lanes(t[:, 1], t[:, 3])], axis=1).reshape(-1)
              for t in (taps[:, 4 * g:4 * g + 4] for g in range(groups))]
    packed.append(taps[:, 4 * groups:].reshape(-1).astype(np.int32))
    bias = np.zeros(c, np.int64) if bias is None else np.asarray(bias, np.int64)
    if not rq.exact:
        bias[rq.table[:, 0] == 0] = 0  # constant channels: the accumulator is not looked at
    return {"rq": rq, "weights": Array(np.concatenate(packed).astype(np.int32), "int32_t"),
            "bias": Array((bias * scale).astype(np.int32), "int32_t"),
            "table": Array(rq.table.reshape(-1), "int32_t")}


# ---------------------------------------------------------------------------------------------
# FULLY_CONNECTED: opt_fc


def _fully_connected(op: Op, call: Call) -> Call | None:
    f = call.args[0].fields
    x, out = call.args[1], call.args[2]
    units, depth = f["units"], f["depth"]
    weights = f["weights"].data.reshape(units, depth)
    bias = _bias(f)
    rq = _requant(f, weights, bias)
    folded = _folded_bias(weights, bias, f["input_offset"], rq)
    if not _fits(folded):
        return None
    uniform = bool((rq.table == rq.table[0]).all())
    blocks, chunks = -(-units // 4), -(-depth // 4)
    padded = np.zeros((blocks * 4, chunks * 4), np.int8)
    padded[:units, :depth] = weights
    interleaved = padded.reshape(blocks, 4, chunks, 4).transpose(0, 2, 1, 3)  # [block][chunk][unit][4 bytes]
    bias_padded = np.zeros(blocks * 4, np.int32)
    bias_padded[:units] = folded
    # The kernel loads a whole block's constants before it stores any output: a partial last block
    # reads rows past the units, which repeat the last one.
    per_unit = np.pad(rq.table, ((0, blocks * 4 - units), (0, 0)), mode="edge")
    fields = {"batches": f["batches"], "depth": depth, "units": units, "rq_stride": 0 if uniform else RQ_WORDS,
              **rq.fields(), "weights": Array(_words(interleaved), "int32_t"), "bias": Array(bias_padded, "int32_t"),
              "rq": Array((rq.table[:1] if uniform else per_unit).reshape(-1), "int32_t")}
    return Call("opt_fc", "opt_fc_s8_inline", [OPT_FC_PARAMS(fields), x, out], macs=call.macs,
                extra_kernels=["opt_common"], sources=())


# ---------------------------------------------------------------------------------------------
# ADD/SUB: opt_add


def _add(op: Op, call: Call) -> Call | None:
    """Same-shape ADD/SUB: each input's rescaled values tabulated."""
    f = call.args[0].fields
    if op.kind not in ("ADD", "SUB"):
        return None
    layout = same_shape_rows(f)
    if layout is None:
        return None
    rows, size, a_row, b_row = layout
    a, b, out = call.args[1], call.args[2], call.args[3]
    a_table = [rescaled_input(f, "a", v) for v in range(-128, 128)]
    b_table = [rescaled_input(f, "b", v) for v in range(-128, 128)]
    sign = -1 if op.kind == "SUB" else 1
    sums = ([min(a_table) + min(sign * y for y in b_table)], [max(a_table) + max(sign * y for y in b_table)])
    rq = requant([f["multiplier"]], [f["shift"]], f["output_offset"], f["act_min"], f["act_max"], sums)
    scale = 2 if rq.doubled else 1
    fields = {"rows": rows, "size": size, "a_row_stride": a_row, "b_row_stride": b_row,
              "subtract": int(op.kind == "SUB"), **rq.fields(),
              "a_table": Array(np.array(a_table, np.int64) * scale, "int32_t"),
              "b_table": Array(np.array(b_table, np.int64) * scale, "int32_t"),
              "rq": Array(rq.table.reshape(-1), "int32_t")}
    function = "opt_add_s8" if _repeated(op) else "opt_add_s8_inline"
    return Call("opt_add", function, [OPT_ADD_PARAMS(fields), a, b, out], macs=call.macs,
                sources=("opt_add",) if _repeated(op) else (),
                extra_kernels=["opt_common"], inplace=call.inplace)
