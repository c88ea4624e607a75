"""The arena plan: in-place bounds are safe, placement never overlaps live bytes unsafely,
the generated arena is exactly the planned size, and the plan beats TFLM's arena."""
import math
import subprocess

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import SHARED_MODELS, shared_or_skip
from tinygen.memory import Buffer, Overlap, place
from tinygen import codegen
from tinygen.compiler import compile_model
from tinygen.options import CompileOptions, REFERENCE
from tinygen.ir import Quant, Tensor
from tinygen.ops.inplace import window_inplace
from tinygen.ops.shapes import window_output_size as conv_output_size


def _tensor(shape):
    return Tensor("t", tuple(shape), "int8", Quant(np.ones(1, np.float32), np.zeros(1, np.int64)))


def _first_clobbered_read(geometry, d: int, reverse: bool, block: int = 1) -> bool:
    """Replays a raster-order window kernel byte by byte with the output placed d bytes after the
    input: `block` pixels' windows read, then their outputs written."""
    in_h, in_w, in_c, out_h, out_w, out_c, k, s, dil, pad = geometry
    clobbered = np.zeros(in_h * in_w * in_c, bool)
    pixels = [(y, x) for y in range(out_h) for x in range(out_w)]
    blocks = [pixels[i:i + block] for i in range(0, len(pixels), block)]
    for group in reversed(blocks) if reverse else blocks:
        for y, x in group:
            for ky in range(k):
                for kx in range(k):
                    iy, ix = y * s - pad + ky * dil, x * s - pad + kx * dil
                    if 0 <= iy < in_h and 0 <= ix < in_w:
                        base = (iy * in_w + ix) * in_c
                        if clobbered[base:base + in_c].any():
                            return True
        for y, x in group:
            start = d + (y * out_w + x) * out_c
            lo, hi = max(start, 0), min(start + out_c, clobbered.size)
            if lo < hi:
                clobbered[lo:hi] = True
    return False


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 9), st.integers(1, 9), st.integers(1, 4), st.integers(1, 6), st.sampled_from([1, 2, 3, 5]),
       st.sampled_from([1, 2, 3]), st.sampled_from([1, 2]), st.sampled_from(["SAME", "VALID"]), st.sampled_from([1, 2, 4]))
def test_window_inplace_bounds_are_safe(in_h, in_w, in_c, out_c, k, s, dil, padding, block):
    out_h = conv_output_size(in_h, k, s, dil, padding)
    out_w = conv_output_size(in_w, k, s, dil, padding)
    if out_h < 1 or out_w < 1:
        return
    reach = (k - 1) * dil + 1
    pad = max(0, ((out_h - 1) * s + reach - in_h) // 2) if padding == "SAME" else 0
    pad_w = max(0, ((out_w - 1) * s + reach - in_w) // 2) if padding == "SAME" else 0
    if pad != pad_w:
        return
    [bounds] = window_inplace(_tensor((1, in_h, in_w, in_c)), _tensor((1, out_h, out_w, out_c)), s, s, pad, pad, k, k,
                              dil, dil, block)
    geometry = (in_h, in_w, in_c, out_h, out_w, out_c, k, s, dil, pad)
    assert not _first_clobbered_read(geometry, bounds.forward, reverse=False, block=block)
    assert not _first_clobbered_read(geometry, bounds.backward, reverse=True, block=block)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 500), st.integers(0, 10), st.integers(0, 4)), min_size=1, max_size=12),
       st.data())
def test_placement_never_overlaps_unsafely(specs, data):
    buffers = [Buffer(f"b{i}", n, first, first + length) for i, (n, first, length) in enumerate(specs)]
    overlaps = {}
    for a in buffers:
        for b in buffers:
            if a is not b and a.last == b.first and data.draw(st.booleans()):
                overlaps[(a, b)] = Overlap(data.draw(st.integers(-300, 50)),
                                           data.draw(st.one_of(st.none(), st.integers(0, 300))))
    plan = place(buffers, overlaps)
    _assert_valid(plan, overlaps)
    assert plan.arena_bytes >= max(b.nbytes for b in buffers)


def _assert_valid(plan, overlaps):
    items = list(plan.offsets.items())
    for i, (a, oa) in enumerate(items):
        assert oa >= 0 and oa + a.nbytes <= plan.arena_bytes
        for b, ob in items[i + 1:]:
            if not a.overlaps(b) or oa + a.nbytes <= ob or ob + b.nbytes <= oa:
                continue
            assert ((a, b) in overlaps and overlaps[(a, b)].allows(ob - oa)) or \
                   ((b, a) in overlaps and overlaps[(b, a)].allows(oa - ob)), (a, oa, b, ob)


MODEL_NAMES = [p.stem for p in SHARED_MODELS] or ["(../shared/models absent)"]


@pytest.mark.parametrize("kernels", ["reference", "builtin"])
@pytest.mark.parametrize("name", MODEL_NAMES)
def test_shared_model_plan_is_valid_and_beats_tflm(name, kernels):
    from tinygen.boards import get_board
    from tinygen.oracle import tflm_arena_bytes

    model = shared_or_skip(f"models/{name}.tflite")
    program = compile_model(model, CompileOptions(patch="off", kernels=kernels, optimize="memory"), get_board("qemu_mps2_an500"))
    _assert_valid(program.plan, program.plan.overlaps)
    tflm = tflm_arena_bytes(model)["total"]
    assert program.plan.arena_bytes <= 0.6 * tflm, (program.plan.arena_bytes, tflm)
    assert program.plan.lower_bound_bytes <= program.plan.arena_bytes


def test_geometric_mean_of_tflm_over_ours_is_at_least_two():
    from tinygen.oracle import tflm_arena_bytes

    if not SHARED_MODELS:
        pytest.skip("../shared/models is absent")
    ratios = [tflm_arena_bytes(m)["total"] / compile_model(m, REFERENCE).plan.arena_bytes for m in SHARED_MODELS]
    assert math.exp(sum(map(math.log, ratios)) / len(ratios)) >= 2.0, ratios


def test_generated_arena_is_exactly_the_planned_size(tmp_path):
    model = shared_or_skip("models/mlperf_vww_96_int8.tflite")
    program = compile_model(model, REFERENCE)
    codegen.render(program, tmp_path)
    subprocess.run(["cc", "-c", "-O2", "-std=c99", "-I", str(tmp_path), "-o", str(tmp_path / "model.o"),
                    str(tmp_path / "model.c")], check=True)
    symbols = subprocess.run(["nm", "-S", str(tmp_path / "model.o")], capture_output=True, text=True, check=True)
    arena = next(line.split() for line in symbols.stdout.splitlines() if line.endswith(" tinygen_arena"))
    assert int(arena[1], 16) == program.plan.arena_bytes
