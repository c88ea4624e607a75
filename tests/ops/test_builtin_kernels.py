"""The builtin (optimized) kernels, bit-exact with TFLite Micro.

- the generation-time requantization constants against TFLM's arithmetic, ties included;
- the portable fallbacks of the SIMD instructions against their definitions (and, with the Arm
  toolchain and QEMU, against the instructions themselves);
- zoos of Keras layers (one conversion each) built on the host with kernels="builtin": every
  specialized kernel and its fallbacks, odd sizes, padding, strides, dilation, activations;
- the same in place, with the output placed at the extreme offsets the calls declare safe;
- two shared models on an emulated Cortex-M7 (the SIMD code); every shared model on the host is in
  tests/models/test_shared_models.py;
- on an emulated Cortex-M55, the Helium (MVE) kernels: every zoo's layers in one model, and a shared
  model with patch-based stages (the kernels' out-of-line variants).
"""
from __future__ import annotations

import random
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from helpers import SHARED_MODELS, Spec, compiled, shared_or_skip, single_op_model
from helpers import keras_model, quantize, tf
from tinygen.backends import builtin
from tinygen.backends import builtin_quant as bq
from tinygen.boards import get_board
from tinygen.compiler import compile_model
from tinygen.options import CompileOptions, REFERENCE
from tinygen.inputs import random_inputs
from tinygen.ops import Call, Scratch, call_scratches, lower
from tinygen.oracle import run_tflm
from tinygen.quant import multiply_by_quantized_multiplier, quantize_multiplier
from tinygen.validate import build_host, compare, run_host

BOARD = "qemu_mps2_an500"
KERNELS = [Path(__file__).resolve().parents[2] / "tinygen" / "kernels" / folder for folder in ("common", "builtin")]


def builtin_options(patch="off", memory_first=True) -> CompileOptions:
    return CompileOptions(patch=patch, optimize=("memory" if memory_first else "speed"))


def compile_builtin(path, patch="off", memory_first=True):
    """A program of its own, for tests that change it."""
    return compile_model(path, builtin_options(patch, memory_first), get_board(BOARD))


def compiled_builtin(path, patch="off", memory_first=True):
    """The shared program, for tests that only read it."""
    return compiled(path, builtin_options(patch, memory_first), BOARD)


def functions(program) -> set[str]:
    return {call.function for _, call in program.calls}


def assert_exact_on_host(path, program, tmp_path, samples=6, seed=0):
    inputs = random_inputs(program.graph, samples, seed)
    ours = run_host(build_host(program, tmp_path), program, inputs)
    reports = compare(program, ours, run_tflm(path, inputs, len(program.graph.outputs)))
    assert all(r.max_abs_diff == 0 for r in reports), reports


# ------------------------------------------------------------------------------------------------
# Requantization constants


def _tie_points(m: int, e: int, lo: int, hi: int) -> list[int]:
    """Accumulators around the values where either rounding step of TFLM's arithmetic flips."""
    points = [lo, hi, 0, -1, 1]
    if m:
        for k in range(-60, 60):
            for target in (k * (1 << 31) - (1 << 30), ((2 * k + 1) << max(e - 1, 0)) << 31):
                t = target // m
                points += [t - 1, t, t + 1]
    return [x for x in points if lo <= x <= hi]


def test_requantization_constants_match_tflm():
    rng = random.Random(7)
    fast = 0
    for _ in range(3000):
        m, s = quantize_multiplier(10 ** rng.uniform(-9, 0.5))
        zp = rng.randint(-128, 127)
        act_min = rng.choice([-128, zp, max(-128, zp - 3)])
        act_max = rng.choice([127, min(127, zp + rng.randint(1, 120))])
        center, radius = rng.randint(-(1 << 28), 1 << 28), rng.choice([0, 7, 1000, 1 << 16, 1 << 22, 1 << 27])
        lo, hi = center - radius, center + radius
        rq = bq.requant([m], [s], zp, act_min, act_max, ([lo], [hi]))
        if rq.exact:
            continue
        fast += 1
        xs = _tie_points(m, -s, lo, hi) + [rng.randint(lo, hi) for _ in range(50)]
        for x in xs:
            want = max(act_min, min(act_max, multiply_by_quantized_multiplier(x, m, s) + zp))
            got = max(act_min, min(act_max, bq.fast_requantize(x, rq.table[0], rq.sign_fix)))
            assert got == want, (x, m, s, zp, act_min, act_max, rq.table[0])
    assert fast > 2500


def test_requantization_falls_back_to_exact_mode():
    m, s = quantize_multiplier(1.5)  # a left shift
    assert bq.requant([m], [s], 0, -128, 127, ([-1000], [1000])).exact
    m, s = quantize_multiplier(0.7)  # e = 0 needs the sign fix when the activation does not clamp
    assert s == 0
    assert bq.requant([m], [s], 5, -128, 127, ([-1000], [1000])).exact
    assert not bq.requant([m], [s], 5, 5, 127, ([-1000], [1000])).exact
    # A channel whose output cannot change is a constant, whatever its shift.
    m, s = quantize_multiplier(2.0 ** -40)
    rq = bq.requant([m, 0], [s, 0], -3, -128, 127, ([-(1 << 20)] * 2, [1 << 20] * 2))
    assert not rq.exact and list(rq.table[:, 0]) == [0, 0]
    assert all(bq.fast_requantize(x, row, rq.sign_fix) == -3 for row in rq.table for x in (-5, 0, 5))


# ------------------------------------------------------------------------------------------------
# The portable fallbacks of the SIMD instructions

SIMD_PROGRAM = r"""
#include <stdint.h>
#include "tg_simd.h"
#ifdef TG_TEST_SEMIHOSTING
extern void test_print(const char *s);
#else
#include <stdio.h>
static void test_print(const char *s) { fputs(s, stdout); }
#endif

/* No initialised or zeroed globals: the bare-metal start-up below sets up neither. */
static uint32_t next(uint32_t *state) {
  *state ^= *state << 13; *state ^= *state >> 17; *state ^= *state << 5;
  return *state;
}
static void put_hex(uint32_t v) {
  char s[10];
  for (int i = 0; i < 8; ++i) s[i] = "0123456789abcdef"[(v >> (28 - 4 * i)) & 15];
  s[8] = '\n'; s[9] = 0;
  test_print(s);
}
static const uint32_t edges[] = {0u, 1u, 0x7fffffffu, 0x80000000u, 0xffffffffu, 0x80008000u, 0x7fff7fffu, 0x00ff00ffu};

int test_main(void) {
  uint32_t state = 12345u;
  for (int i = 0; i < 400; ++i) {
    uint32_t a = i < 64 ? edges[i % 8] : next(&state), b = i < 64 ? edges[i / 8] : next(&state);
    uint32_t c = next(&state);
    put_hex(tg_sxtb16(a)); put_hex(tg_sxtb16_ror8(a));
    put_hex(tg_sxtab16(b, a)); put_hex(tg_sxtab16_ror8(b, a));
    put_hex(tg_pkhbt(a, b)); put_hex(tg_pkhtb(a, b));
    put_hex((uint32_t)tg_smlad(a, b, (int32_t)c));
    put_hex((uint32_t)tg_smlabb(a, b, (int32_t)c)); put_hex((uint32_t)tg_smlatt(a, b, (int32_t)c));
    put_hex((uint32_t)tg_smlabt(a, b, (int32_t)c)); put_hex((uint32_t)tg_smlatb(a, b, (int32_t)c));
    put_hex((uint32_t)tg_ssat8((int32_t)a >> (i % 32)));
    put_hex((uint32_t)tg_smmlar((int32_t)a, (int32_t)b, (int32_t)c));
  }
  return 0;
}
#ifndef TG_TEST_SEMIHOSTING
int main(void) { return test_main(); }
#endif
"""


def _s16(v: int) -> int:
    v &= 0xFFFF
    return v - 0x10000 if v & 0x8000 else v


def _s8(v: int) -> int:
    v &= 0xFF
    return v - 0x100 if v & 0x80 else v


def _lanes(bottom: int, top: int) -> int:
    return (bottom & 0xFFFF) | ((top & 0xFFFF) << 16)


def _expected_simd() -> list[int]:
    """The same sequence from the instructions' definitions (Arm ARM), in Python."""
    state = 12345
    edges = [0, 1, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0x80008000, 0x7FFF7FFF, 0x00FF00FF]

    def nxt():
        nonlocal state
        state ^= (state << 13) & 0xFFFFFFFF
        state ^= state >> 17
        state ^= (state << 5) & 0xFFFFFFFF
        return state

    def s32(v):
        v &= 0xFFFFFFFF
        return v - (1 << 32) if v & 0x80000000 else v

    out = []
    for i in range(400):
        a = edges[i % 8] if i < 64 else nxt()
        b = edges[i // 8] if i < 64 else nxt()
        c = nxt()
        ror = ((a >> 8) | (a << 24)) & 0xFFFFFFFF
        out += [_lanes(_s8(a), _s8(a >> 16)), _lanes(_s8(ror), _s8(ror >> 16)),
                _lanes(_s16(b) + _s8(a), _s16(b >> 16) + _s8(a >> 16)),
                _lanes(_s16(b) + _s8(ror), _s16(b >> 16) + _s8(ror >> 16)),
                (a & 0xFFFF) | ((b << 16) & 0xFFFF0000), (a & 0xFFFF0000) | (b >> 16)]
        bot_a, top_a, bot_b, top_b = _s16(a), _s16(a >> 16), _s16(b), _s16(b >> 16)
        out += [(s32(c) + bot_a * bot_b + top_a * top_b) & 0xFFFFFFFF,
                (s32(c) + bot_a * bot_b) & 0xFFFFFFFF, (s32(c) + top_a * top_b) & 0xFFFFFFFF,
                (s32(c) + bot_a * top_b) & 0xFFFFFFFF, (s32(c) + top_a * bot_b) & 0xFFFFFFFF,
                max(-128, min(127, s32(a) >> (i % 32))) & 0xFFFFFFFF,
                bq.smmlar(s32(a), s32(b), s32(c)) & 0xFFFFFFFF]
    return out


def test_portable_simd_fallbacks_match_the_instructions(tmp_path):
    (tmp_path / "t.c").write_text(SIMD_PROGRAM)
    subprocess.run(["cc", "-O2", "-std=c99", "-Wall", "-Wextra", *(f"-I{d}" for d in KERNELS), "-o", "t", "t.c"],
                   cwd=tmp_path, check=True)
    printed = subprocess.run([str(tmp_path / "t")], capture_output=True, text=True, check=True).stdout
    assert [int(v, 16) for v in printed.split()] == _expected_simd()


ARM_STARTUP = r"""
#include <stdint.h>
int test_main(void);
static void semihost(uint32_t op, const void *arg) {
  register uint32_t r0 __asm__("r0") = op;
  register const void *r1 __asm__("r1") = arg;
  __asm__ volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
}
void test_print(const char *s) { semihost(0x04, s); }
extern uint32_t __stack_top;
void reset(void) {
  test_main();
  static const uint32_t stop[2] = {0x20026u, 0u};
  semihost(0x20, stop);
  for (;;) {}
}
__attribute__((section(".vectors"), used)) const void *const vectors[2] = {&__stack_top, (const void *)reset};
"""
ARM_LINK = """
MEMORY { FLASH (rx) : ORIGIN = %(flash)#x, LENGTH = 1M  RAM (rwx) : ORIGIN = %(ram)#x, LENGTH = 128K }
SECTIONS {
  .text : { KEEP(*(.vectors)) *(.text .text.*) *(.rodata .rodata.*) } > FLASH
  .data : { *(.data .data.*) } > RAM AT > FLASH
  .bss : { *(.bss .bss.*) *(COMMON) } > RAM
  __stack_top = ORIGIN(RAM) + LENGTH(RAM);
}
"""


def _needs_arm_tools():
    for tool in ("arm-none-eabi-gcc", "qemu-system-arm"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed")


@pytest.mark.parametrize("board", [BOARD, "qemu_netduino2_m0"])
def test_simd_instructions_on_emulated_cores(board, tmp_path):
    """The same program built for a core, on QEMU: on the Cortex-M7 the DSP instructions give what
    the fallbacks give; on the Cortex-M0 so does SMMLAR from 16-bit halves (tg_simd.h's ARMv6-M
    form, which the host does not build)."""
    _needs_arm_tools()
    target = get_board(board)
    (tmp_path / "t.c").write_text(SIMD_PROGRAM)
    (tmp_path / "start.c").write_text(ARM_STARTUP)
    (tmp_path / "link.ld").write_text(ARM_LINK % {"flash": target.link.flash_origin, "ram": target.link.ram.origin})
    subprocess.run(["arm-none-eabi-gcc", "-O2", "-std=c99", *target.gcc_flags(), "-DTG_TEST_SEMIHOSTING",
                    *(f"-I{d}" for d in KERNELS), "-nostartfiles", "-nostdlib", "-T", "link.ld", "-o", "t.elf", "t.c",
                    "start.c", "-lgcc"], cwd=tmp_path, check=True)
    machine = ["-M", target.emulator["machine"]] + (["-cpu", target.emulator["cpu"]] if "cpu" in target.emulator else [])
    run = subprocess.run(["qemu-system-arm", *machine, "-nographic", "-monitor", "none",
                          "-semihosting-config", "enable=on,target=native", "-kernel", "t.elf"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False)
    printed = run.stdout + run.stderr  # QEMU prints the semihosting console on one or the other
    assert [int(v, 16) for v in printed.split()] == _expected_simd()


# ------------------------------------------------------------------------------------------------
# Keras layer zoos


def _layers():
    return tf().keras.layers


# One input per zoo (the converter's calibration can reorder several); slices give the other
# channel counts.


def _channels(x, first: int, count: int):
    return _layers().Lambda(lambda t: t[..., first:first + count])(x)


def conv_layers(x):
    L = _layers()
    three, one, six = _channels(x, 0, 3), _channels(x, 3, 1), _channels(x, 2, 6)
    return [
        L.Conv2D(16, 1, activation="relu")(x),  # pointwise, sign fix off
        L.Conv2D(6, 1, strides=2)(x),  # strided pointwise, sign fix on
        L.Conv2D(7, 3, padding="same", activation="relu6")(x),  # 3x3 with padding, odd channels
        L.Conv2D(5, 3, strides=2)(x),
        L.Conv2D(4, 5, padding="same", dilation_rate=2)(x),  # dilated
        L.Conv2D(9, (2, 3), strides=(1, 2), padding="same", use_bias=False)(x),
        L.Conv2D(40, 1)(x),  # more channels than twice the window's chunks: doubled columns
        L.Conv2D(8, 3, strides=2, padding="same", activation="relu")(three),  # first layer, 3 channels
        L.Conv2D(5, 1)(three),  # pointwise, 3 channels: the last chunk is partial
        L.Conv2D(12, (5, 4), strides=2, padding="same", activation="relu")(one),  # one channel, KWS-like
        L.DepthwiseConv2D(3, depth_multiplier=4, padding="same")(one),  # one channel: a convolution
        L.Conv2D(3, 3, padding="same")(six),  # 6 channels: windows gathered as bytes
        L.Conv2D(4, 3, groups=2)(six),  # grouped: the reference kernel
    ]


def depthwise_layers(x):
    L = _layers()
    six = _channels(x, 0, 6)
    return [
        L.DepthwiseConv2D(3, padding="same", activation="relu")(x),
        L.DepthwiseConv2D(3, strides=2)(x),
        L.DepthwiseConv2D(5, padding="same", dilation_rate=2)(x),
        L.DepthwiseConv2D(7, padding="same", activation="relu6")(x),
        L.DepthwiseConv2D((3, 2), strides=(2, 1), padding="same", use_bias=False)(x),
        L.DepthwiseConv2D(3, padding="same", activation="relu6")(six),  # 2 channels past the groups of 4
        L.DepthwiseConv2D(3, depth_multiplier=2, padding="same")(six),  # the reference kernel
        # Odd rows by rows: a last block of 4 with 3 outputs kept (7 wide), of 2 with 1 (9 wide).
        L.DepthwiseConv2D(3, padding="same")(L.Cropping2D(((0, 0), (0, 3)))(x)),
        L.DepthwiseConv2D(3, padding="same")(L.Cropping2D(((0, 0), (1, 0)))(x)),
    ]


def dense_layers(x):
    L = _layers()
    wide = L.Dense(64)(x)
    return [L.Dense(5, activation="relu")(x), L.Dense(16, use_bias=False)(x),
            L.Dense(16)(_channels(x, 0, 1)), L.Dense(12)(wide), L.Dense(3, activation="relu")(wide)]


def add_layers(x):
    L = _layers()
    y = L.Conv2D(5, 1)(x)  # another scale for the second operand
    row = L.Lambda(lambda t: t[:, :1])(y)
    return [L.Add()([x, y]), L.Subtract()([y, x]), L.ReLU()(L.Add()([y, x])), L.Multiply()([x, y]),
            L.Add()([x, row])]  # broadcast: the reference kernel


CONV_INPUT, DEPTHWISE_INPUT, DENSE_INPUT, ADD_INPUT = (11, 13, 8), (12, 10, 12), (37,), (6, 7, 5)


def conv_zoo():
    return keras_model(conv_layers, [CONV_INPUT])


def depthwise_zoo():
    return keras_model(depthwise_layers, [DEPTHWISE_INPUT])


def dense_zoo():
    return keras_model(dense_layers, [DENSE_INPUT])


def add_zoo():
    return keras_model(add_layers, [ADD_INPUT])


def _region(x, h: int, w: int, c: int):
    return _layers().Lambda(lambda t: t[:, :h, :w, :c])(x)


def mve_zoo():
    """Every zoo's layers in one model (one conversion, one emulated run on the Cortex-M55), each on
    a region of one input (the converter reorders several inputs); the dense layers get 36 values."""
    def build(x):
        dense = _layers().Flatten()(_region(x, 1, 3, 12))
        return (conv_layers(_region(x, *CONV_INPUT)) + depthwise_layers(_region(x, *DEPTHWISE_INPUT))
                + dense_layers(dense) + add_layers(_region(x, *ADD_INPUT)))

    return keras_model(build, [(12, 13, 12)])


ZOOS = {
    "conv": (conv_zoo, {"opt_conv_s8_inline", "tg_conv2d_s8"}),
    "depthwise": (depthwise_zoo, {"opt_dwconv_s8_inline", "tg_depthwise_conv2d_s8"}),
    "dense": (dense_zoo, {"opt_fc_s8_inline"}),
    "add": (add_zoo, {"opt_add_s8_inline", "tg_binary_s8"}),
}


@pytest.fixture(scope="module")
def zoo_models(tmp_path_factory):
    made = {}

    def get(name):
        if name not in made:
            build, _ = ZOOS[name]
            made[name] = quantize(build(), tmp_path_factory.mktemp(name) / "m.tflite", seed=3, low=-2.0, high=2.0)
        return made[name]

    return get


@pytest.fixture
def half_widened(monkeypatch):
    """Every other convolution the flash budget would widen keeps narrow weights, so that one
    program runs both forms (on a board with room for all, every layer would be widened)."""
    every = builtin.widened_layers

    def half(graph, calls, target):
        chosen = every(graph, calls, target)
        return frozenset(id(op) for op, _ in calls if id(op) in chosen and op.index % 2 == 0)

    monkeypatch.setattr(builtin, "widened_layers", half)


def _both_widths(program) -> set[int]:
    return {call.args[0].fields["wide"] for _, call in program.calls if call.kernel == "opt_conv"}


@pytest.mark.slow
@pytest.mark.parametrize("zoo", sorted(ZOOS))
def test_zoo_is_bit_exact(zoo, zoo_models, half_widened, tmp_path):
    path = zoo_models(zoo)
    program = compile_builtin(path)
    assert ZOOS[zoo][1] <= functions(program)
    if zoo == "conv":
        assert _both_widths(program) == {0, 1}
    assert_exact_on_host(path, program, tmp_path)


@pytest.mark.slow
def test_depthwise_zoo_by_rows_is_bit_exact(zoo_models, tmp_path):
    """--optimize speed (and auto where the arena fits) takes opt_dwconv_rows where it applies:
    here windows 3x3 (rows 10, 7 and 9 wide), 7x7 and 3x2 with vertical stride 2, the others keep
    opt_dwconv."""
    path = zoo_models("depthwise")
    program = compiled_builtin(path, memory_first=False)
    assert {"opt_dwconv_rows_s8_inline", "opt_dwconv_s8_inline"} <= functions(program)
    assert_exact_on_host(path, program, tmp_path)


@pytest.mark.slow
@pytest.mark.parametrize("zoo", ["conv", "depthwise"])
def test_zoo_is_bit_exact_run_back_to_front(zoo, zoo_models, tmp_path):
    """`reverse` (set when the plan puts an output above its input) through every kernel that has it,
    where the plan did not overlap the output with its input (running back to front is then safe)."""
    path = zoo_models(zoo)
    program = compile_builtin(path)
    reversed_calls = 0
    for op, call in program.calls:
        if not call.function.startswith("opt_") or "reverse" not in call.args[0].fields:
            continue
        x, out = op.inputs[0], op.outputs[0]
        apart = (program.offset(out) >= program.offset(x) + x.nbytes
                 or program.offset(x) >= program.offset(out) + out.nbytes)
        if apart:
            call.args[0].fields["reverse"] = 1
            reversed_calls += 1
    assert reversed_calls >= 5
    assert_exact_on_host(path, program, tmp_path)


def _emulated_exactly(path, program, board=BOARD, samples=2):
    from tinygen.emulation import run_emulated

    inputs = random_inputs(program.graph, samples, 1)
    ours, _ = run_emulated(program, get_board(board), inputs, profile=False)
    reports = compare(program, ours, run_tflm(path, inputs, len(program.graph.outputs)))
    assert all(r.max_abs_diff == 0 for r in reports), reports


@pytest.mark.slow
@pytest.mark.parametrize("zoo", ["conv", "depthwise"])
def test_zoo_is_bit_exact_on_an_emulated_cortex_m7(zoo, zoo_models, half_widened):
    """The SIMD code of the convolutions (pre-widened weights and narrow ones) and of the depthwise
    kernels, odd widths, strides and windows."""
    _needs_arm_tools()
    path = zoo_models(zoo)
    program = compile_builtin(path, memory_first=False)
    if zoo == "conv":
        assert _both_widths(program) == {0, 1}
    else:
        assert {"opt_dwconv_rows_s8_inline", "opt_dwconv_s8_inline"} <= functions(program)
    _emulated_exactly(path, program)


M55 = "qemu_mps3_an547"
MVE_FUNCTIONS = {"mve_conv_s8_inline", "mve_dwconv_s8_inline", "mve_fc_s8_inline", "mve_add_s8_inline"}


@pytest.mark.slow
def test_zoos_are_bit_exact_with_the_mve_kernels_on_an_emulated_cortex_m55(tmp_path):
    """The Helium kernels over every zoo's shapes in one run: odd pixel and channel counts (a last
    pixel or channel alone), windows of 1 to 7 taps, dilation, strides, padding (the depthwise
    border's copied windows), partial vectors (depths and channels not multiples of 16 or 4),
    one-channel depthwise as a convolution, activations with and without the sign fix, SUB;
    grouped convolutions, other depth multipliers, MUL and broadcasts keep their other kernels.
    Every second convolution runs back to front (`reverse`), where its output is apart from its input."""
    _needs_arm_tools()
    path = quantize(mve_zoo(), tmp_path / "mve.tflite", seed=3, low=-2.0, high=2.0)
    program = compile_model(path, CompileOptions(patch="off"), get_board(M55))
    assert MVE_FUNCTIONS <= functions(program)
    assert not any(f.startswith("opt_") for f in functions(program)), "a Helium core takes no DSP kernel here"
    windows = [(op, call) for op, call in program.calls if call.kernel in ("mve_conv", "mve_dwconv")]
    reversed_calls = 0
    for op, call in windows[::2]:
        x, out = op.inputs[0], op.outputs[0]
        if program.offset(out) >= program.offset(x) + x.nbytes or program.offset(x) >= program.offset(out) + out.nbytes:
            call.args[0].fields["reverse"] = 1
            reversed_calls += 1
    assert reversed_calls >= 5
    _emulated_exactly(path, program, M55, samples=4)


@pytest.mark.parametrize("kind", ["CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED"])
def test_mve_left_shifts_are_bit_exact_on_an_emulated_cortex_m55(kind, tmp_path):
    """Channels whose real multiplier is 1 or more shift left before the multiply: their layer's
    requantization records hold a third vector (mve_common.h); per-channel scales mix such
    channels with ones that shift right."""
    _needs_arm_tools()
    rng = np.random.default_rng(7)
    channels, w_scales = 8, [2.0 ** e for e in (-9, -3, 1, 0, -6, 2, -1, -4)]
    shapes = {"CONV_2D": ((1, 5, 5, 4), (channels, 3, 3, 4), (1, 5, 5, channels)),
              "DEPTHWISE_CONV_2D": ((1, 5, 5, channels), (1, 3, 3, channels), (1, 5, 5, channels)),
              "FULLY_CONNECTED": ((1, 12), (channels, 12), (1, channels))}[kind]
    x_shape, w_shape, out_shape = shapes
    weights = Spec(w_shape, "int8", w_scales, 0, data=rng.integers(-127, 128, w_shape).astype(np.int8),
                   axis=3 if kind == "DEPTHWISE_CONV_2D" else 0)
    bias = Spec((channels,), "int32", [0.05 * s for s in w_scales], 0,
                data=rng.integers(-300, 300, channels).astype(np.int32))
    options = {"FULLY_CONNECTED": {}, "CONV_2D": {"padding": 0, "strideW": 1, "strideH": 1},
               "DEPTHWISE_CONV_2D": {"padding": 0, "strideW": 1, "strideH": 1, "depthMultiplier": 1}}[kind]
    path = single_op_model(tmp_path / "m.tflite", kind, [Spec(x_shape, "int8", 0.05, 3), weights, bias],
                           Spec(out_shape, "int8", 0.04, -5), **options)
    program = compile_model(path, CompileOptions(patch="off"), get_board(M55))
    call = next(call for _, call in program.calls if call.kernel.startswith("mve_"))
    assert call.args[0].fields["left_shift"] == 1
    _emulated_exactly(path, program, M55, samples=4)


def test_mve_kernels_only_for_cores_with_mve():
    model = shared_or_skip("models/mlperf_ic_resnet8_int8.tflite")
    on_m55 = functions(compile_model(model, CompileOptions(patch="off"), get_board(M55)))
    on_m33 = functions(compile_model(model, CompileOptions(patch="off"), get_board("qemu_mps2_an505")))
    assert {"mve_conv_s8_inline", "mve_add_s8_inline", "mve_fc_s8_inline"} <= on_m55
    assert not any(f.startswith("mve_") for f in on_m33)


def test_shared_model_with_patch_stages_is_bit_exact_on_an_emulated_cortex_m55():
    """Tile calls run the MVE kernels' out-of-line variants (the convolutions' one per layer,
    MVE_CONV_TILES; mve_add_s8.c): ic_resnet8's stages hold convolutions and residual ADDs of
    regions of larger buffers (rows their own stride apart).
    Depthwise tiles run in tests/emulation/test_firmware.py (vww_96 on this board, patch auto)."""
    _needs_arm_tools()
    path = shared_or_skip("models/mlperf_ic_resnet8_int8.tflite")
    program = compile_model(path, CompileOptions(patch="auto"), get_board(M55))
    assert program.patch is not None
    assert "mve_add_s8" in functions(program)
    assert any(name.startswith("mve_conv_s8_tiles_") for name in functions(program))
    _emulated_exactly(path, program, M55)


def _widths_by_passes(path, board) -> list[tuple[int, int]]:
    program = compile_model(path, CompileOptions(patch="off"), get_board(board) if board else None)
    return sorted((builtin._passes(call.args[0].fields), call.args[0].fields["wide"])
                  for _, call in program.calls if call.kernel == "opt_conv")


def test_pre_widened_weights_spend_the_flash_the_board_has():
    """vww_96's convolutions all take pre-widened weights on a 1 MB board and on the host; on a
    512 KB one the layers whose weights serve the fewest pixels keep narrow ones."""
    path = shared_or_skip("models/mlperf_vww_96_int8.tflite")
    for board in (None, "nucleo_f746zg"):
        assert {wide for _, wide in _widths_by_passes(path, board)} == {1}
    small = _widths_by_passes(path, "nucleo_f411re")
    narrow = [passes for passes, wide in small if not wide]
    assert narrow and max(narrow) <= min(passes for passes, wide in small if wide)


@pytest.mark.slow
@pytest.mark.parametrize("board", ["qemu_mps2_an385", "qemu_netduino2_m0"])
@pytest.mark.parametrize("patch", ["off", "auto"])
def test_conv_zoo_is_bit_exact_on_emulated_cores_without_dsp(board, patch, zoo_models):
    """opt_conv_nodsp.h's written-out chunks (Cortex-M3: two channels per pass, one for the last of
    an odd count and in the tiles' out-of-line variants; M0: one channel per pass), and weights
    never pre-widened for these cores, however many pixels they serve."""
    _needs_arm_tools()
    path = zoo_models("conv")
    program = compile_model(path, builtin_options(patch, memory_first=False), get_board(board))
    convs = [call.args[0].fields for _, call in program.calls if call.kernel == "opt_conv"]
    assert {f["wide"] for f in convs} == {0}
    assert {f["out_c"] % 2 for f in convs} == {0, 1}
    if patch == "auto":
        assert any(call.function.startswith("opt_conv_s8") and not call.function.endswith("_inline")
                   for _, call in program.calls)
    _emulated_exactly(path, program, board)


@pytest.mark.slow
@pytest.mark.parametrize("board", ["qemu_mps2_an385", "qemu_netduino2_m0"])
def test_depthwise_zoo_is_bit_exact_on_emulated_cores_without_dsp(board, zoo_models):
    """opt_dwconv's portable code in a layer's own call: its border pixels in loops of their own
    on the M3, one loop over all pixels on ARMv6-M (OPT_DWCONV_FOLDS)."""
    _needs_arm_tools()
    path = zoo_models("depthwise")
    program = compile_model(path, builtin_options("off", memory_first=False), get_board(board))
    assert "opt_dwconv_s8_inline" in functions(program)
    _emulated_exactly(path, program, board)


@pytest.mark.slow
def test_depthwise_by_rows_gives_way_at_a_peak(zoo_models):
    """opt_dwconv_rows' leaner variant is opt_dwconv: no band, and in-place both ways."""
    path = zoo_models("depthwise")
    program = compile_builtin(path, memory_first=False)
    rows = [s for s in program.steps if isinstance(s.call, Call) and s.call.kernel == "opt_dwconv_rows"]
    assert len(rows) >= 2
    for step in rows:
        lean = builtin.leaner(step.op, lower(step.op), step.call)
        assert lean.kernel == "opt_dwconv" and not call_scratches(lean)
        assert all(i.backward is not None for i in lean.inplace)
        assert all(i.backward is None for i in step.call.inplace)


@pytest.mark.slow
@pytest.mark.parametrize("levels", [1, 2, 3])
def test_leaner_convolutions_are_bit_exact(levels, zoo_models, tmp_path):
    """The variants with less memory (2 or 1 pixels per pass, or direct mode) that the compiler may
    use at the arena's peak. Their scratch is smaller and their in-place bounds looser, so the plan
    stays valid."""
    path = zoo_models("conv")
    program = compile_builtin(path, memory_first=False)  # every conv at four pixels per pass
    swapped = 0
    for step in program.steps:
        for _ in range(levels):
            lean = builtin.leaner(step.op, lower(step.op), step.call) if isinstance(step.call, Call) else None
            if lean is not None:
                lean.args[0].fields["reverse"] = step.call.args[0].fields["reverse"]
                [old], new = call_scratches(step.call), call_scratches(lean)
                assert sum(s.nbytes for s in new) < old.nbytes
                for s in new:
                    program.offsets[id(s)] = program.offset(old)  # the smaller buffer where the larger one was
                step.call, swapped = lean, swapped + 1
    assert swapped >= 10 * levels
    assert {call.args[0].fields["group"] for _, call in program.calls if call.kernel == "opt_conv"} == {4 >> levels}
    assert_exact_on_host(path, program, tmp_path)


# ------------------------------------------------------------------------------------------------
# In place at the declared bounds


def single_layer_models():
    L = _layers()
    return {
        "pointwise": lambda: keras_model(lambda x: L.Conv2D(12, 1)(x), [(7, 9, 16)]),
        "conv3x3": lambda: keras_model(lambda x: L.Conv2D(8, 3, padding="same")(x), [(9, 7, 8)]),
        "conv3x3_s2": lambda: keras_model(lambda x: L.Conv2D(4, 3, strides=2, padding="same")(x), [(9, 11, 3)]),
        "depthwise": lambda: keras_model(lambda x: L.DepthwiseConv2D(3, padding="same")(x), [(8, 9, 10)]),
        "depthwise_rows": lambda: keras_model(lambda x: L.DepthwiseConv2D(3, padding="same")(x), [(8, 9, 12)]),
        "depthwise_s2": lambda: keras_model(lambda x: L.DepthwiseConv2D(5, strides=2, padding="same")(x),
                                            [(11, 9, 8)]),
    }


def _place_overlapping(program, d: int, reverse: bool):
    """Put the one call's output d bytes after its input (everything else apart), reversed or not."""
    [(_, call)] = [(op, c) for op, c in program.calls if c.function.startswith("opt_")]
    x, out = program.graph.inputs[0], program.graph.outputs[0]
    base = max(0, -d) + 64
    program.offsets[id(x)] = base
    program.offsets[id(out)] = base + d
    end = max(base + x.nbytes, base + d + out.nbytes)
    for arg in call.args:
        if isinstance(arg, Scratch):
            program.offsets[id(arg)] = (end + 15) // 16 * 16
            end = program.offsets[id(arg)] + arg.nbytes
    program.plan.arena_bytes = end + 16
    if "reverse" in call.args[0].fields:
        call.args[0].fields["reverse"] = int(reverse)
    return call


@pytest.mark.slow
@pytest.mark.parametrize("name", ["pointwise", "conv3x3", "conv3x3_s2", "depthwise", "depthwise_s2",
                                  "depthwise_rows", "pointwise_direct", "conv3x3_s2_direct"])
def test_in_place_at_the_declared_bounds(name, tmp_path_factory):
    """An output overlapping its input by exactly the declared bound, front to back and (kernels
    with `reverse`) back to front; `_direct`: the convolution's direct mode (group 0), which the
    compiler uses at a peak."""
    layer, direct, _ = name.partition("_direct")
    path = quantize(single_layer_models()[layer](), tmp_path_factory.mktemp(name) / "m.tflite", seed=5)
    kernel = next(c.kernel for _, c in compile_builtin(path, memory_first=False).calls if c.kernel.startswith("opt_"))
    for reverse in (False, True) if kernel != "opt_dwconv_rows" else (False,):
        program = compile_builtin(path, memory_first=False)  # the builtin kernel, whatever the arena
        if direct:
            step = next(s for s in program.steps if isinstance(s.call, Call))
            while step.call.args[0].fields["group"]:
                step.call = builtin.leaner(step.op, lower(step.op), step.call)
        [(_, call)] = [(op, c) for op, c in program.calls if c.function.startswith("opt_")]
        assert not direct or call.args[0].fields["group"] == 0
        [bounds] = call.inplace
        d = bounds.backward if reverse else bounds.forward
        x, out = program.graph.inputs[0], program.graph.outputs[0]
        assert d is not None and d < x.nbytes and -d < out.nbytes  # the two overlap
        _place_overlapping(program, d, reverse)
        assert_exact_on_host(path, program, tmp_path_factory.mktemp(f"{name}_{reverse}"), samples=4)


# ------------------------------------------------------------------------------------------------
# The shared models

@pytest.mark.parametrize("name,patch,memory_first", [("mlperf_ic_resnet8_int8", "off", True),
                                                     ("tflm_person_detect_int8", "auto", True),
                                                     ("mlperf_vww_96_int8", "off", False)])
def test_shared_model_is_bit_exact_on_an_emulated_cortex_m7(name, patch, memory_first):
    """memory_first=False: the fastest kernels everywhere (opt_dwconv_rows included)."""
    _needs_arm_tools()
    path = shared_or_skip(f"models/{name}.tflite")
    _emulated_exactly(path, compiled_builtin(path, patch, memory_first))


def test_builtin_arena_stays_close_to_the_reference_plan():
    """Scratch buffers (im2col columns) may raise the peak a little, never much."""
    if not SHARED_MODELS:
        pytest.skip("../shared/models is absent")
    for path in SHARED_MODELS:
        for patch in ("off", "auto"):
            reference = compile_model(path, CompileOptions(patch=patch, kernels="reference")).plan.arena_bytes
            ours = compiled_builtin(path, patch).plan.arena_bytes
            assert ours <= reference * 1.2 + 64, (path.stem, patch, ours, reference)


@pytest.mark.parametrize("name", ["mlperf_ic_resnet8_int8", "tflm_micro_speech_int8"])
def test_memory_first_keeps_optimized_kernels_at_the_peak(name):
    """At the arena's peak the compiler takes a leaner opt_conv variant (fewer pixels per pass,
    direct mode) rather than the reference kernel: the reference plan's arena at builtin speed."""
    path = shared_or_skip(f"models/{name}.tflite")
    fast, lean = compiled_builtin(path, memory_first=False), compiled_builtin(path)
    assert lean.plan.arena_bytes < fast.plan.arena_bytes
    assert lean.plan.arena_bytes <= compile_model(path, REFERENCE).plan.arena_bytes
    assert "conv2d" not in {call.kernel for _, call in lean.calls}
    assert {call.args[0].fields["group"] for _, call in lean.calls if call.kernel == "opt_conv"} - {4}
