"""Generation-time arithmetic for the builtin kernels: requantization constants and folded biases.

TFLM requantizes an int32 accumulator x of a channel with multiplier M (a Q31 significand) and
shift -e in two rounding steps (templates/kernels/tg_common.h, tg_requantize):

    r = floor((x*M + 2^30) / 2^31)          SaturatingRoundingDoublingHighMul: half up
    y = round_half_away(r / 2^e) + zp       RoundingDivideByPOT

(the high multiply's nudge of 1 - 2^30 for negative products, with C's truncating division, is
the same floor). For e >= 1 the divide is floor((r + 2^(e-1) - [r < 0]) / 2^e), and nested floors
merge into one:

    y = floor((x*M + K - [x < 0] * 2^31) / 2^(31+e)),   K = 2^30 + 2^(30+e) + zp * 2^(31+e)

(r < 0 exactly when x < 0, as M >= 2^30; for x = -1, M = 2^30 both forms give 0). That is one
SMLAL into a preset 64-bit K and the high word shifted right by e - 1 (opt_common.h). The [x < 0]
term moves only exact ties of negative r, whose outputs are <= zp: when the activation clamps
everything at or below zp (act_min >= zp) it never shows and the kernels skip it.

A channel whose output is the same for every reachable accumulator (zero weights, a tiny
multiplier) becomes M = 0, e = 1 with that output folded into K. Layers with a left shift (a real multiplier >= 1), e = 0 with M != 0, or e too large
for K to fit in 64 bits keep TFLM's two steps ("exact" mode).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

INT32_MIN, INT32_MAX = -(1 << 31), (1 << 31) - 1


@dataclass
class Requant:
    table: np.ndarray  # int32 [channels, 4]: M, K low word, K high word, e - 1 (exact: M, shift, 0, 0)
    exact: bool
    sign_fix: bool
    output_offset: int
    act_min: int
    act_max: int

    def fields(self) -> dict:
        return {"exact": int(self.exact), "sign_fix": int(self.sign_fix), "output_offset": self.output_offset,
                "act_min": self.act_min, "act_max": self.act_max}


def srdhm(a: int, b: int) -> int:
    """TFLM's SaturatingRoundingDoublingHighMul, as written there (Python ints)."""
    if a == b == INT32_MIN:
        return INT32_MAX
    ab = a * b
    nudge = (1 << 30) if ab >= 0 else 1 - (1 << 30)
    q = abs(ab + nudge) >> 31
    return q if ab + nudge >= 0 else -q


def rounding_divide_by_pot(x: int, exponent: int) -> int:
    mask = (1 << exponent) - 1
    remainder = x & mask
    threshold = (mask >> 1) + (1 if x < 0 else 0)
    return (x >> exponent) + (1 if remainder > threshold else 0)


def tflm_requantize(x: int, multiplier: int, shift: int) -> int:
    """tg_requantize: x * multiplier * 2^shift, TFLM's MultiplyByQuantizedMultiplier."""
    left, right = max(shift, 0), max(-shift, 0)
    shifted = ((x << left) + (1 << 31)) % (1 << 32) - (1 << 31)
    return rounding_divide_by_pot(srdhm(shifted, multiplier), right)


def fast_requantize(x: int, row, sign_fix: bool) -> int:
    """What opt_requantize computes in fast mode, before clamping (Python ints)."""
    m, k_lo, k_hi, sh = (int(v) for v in row)
    k = (k_hi << 32) | (k_lo & 0xFFFFFFFF)
    n = k + x * m - ((1 << 31) if sign_fix and x < 0 else 0)
    return max(-128, min(127, (n >> 32) >> sh))


def requant(multipliers, shifts, output_offset: int, act_min: int, act_max: int, x_range) -> Requant:
    """Constants for channels with these TFLM multipliers/shifts; x_range = (lo, hi) arrays bound
    each channel's accumulator (bias included): constant channels and overflow checks use them."""
    multipliers = [int(m) for m in multipliers]
    shifts = [int(s) for s in shifts]
    los, his = (np.broadcast_to(np.asarray(v, dtype=object), (len(multipliers),)) for v in x_range)
    rows, exact = [], False
    for m, s, lo, hi in zip(multipliers, shifts, los, his):
        lo, hi = int(lo), int(hi)
        if lo < INT32_MIN or hi > INT32_MAX or m < 0:
            exact = True
            break
        first, last = (max(act_min, min(act_max, tflm_requantize(x, m, s) + output_offset)) for x in (lo, hi))
        if first == last:  # the output never changes (zero weights, a tiny multiplier): a constant
            rows.append(_row(0, 1, first))
            continue
        e = -s
        if s > 0 or e == 0 or e > 24 or m < (1 << 30):
            exact = True
            break
        rows.append(_row(m, e, output_offset))
    if exact:
        table = np.array([(m, s, 0, 0) for m, s in zip(multipliers, shifts)], dtype=np.int64)
    else:
        table = np.array(rows, dtype=np.int64)
    return Requant(table.astype(np.int32), exact, sign_fix=not exact and act_min < output_offset,
                   output_offset=output_offset, act_min=act_min, act_max=act_max)


def _row(m: int, e: int, offset: int) -> tuple:
    """M, K low, K high, e - 1 for y = floor((x*M + K) / 2^(31+e)) with the offset folded in."""
    k = (1 << 30) + (1 << (30 + e)) + offset * (1 << (31 + e))
    return m, _to_int32(k & 0xFFFFFFFF), k >> 32, e - 1


def _to_int32(v: int) -> int:
    return v - (1 << 32) if v >= (1 << 31) else v


def accumulator_range(weights: np.ndarray, bias, input_offset: int) -> tuple[np.ndarray, np.ndarray]:
    """Per output channel (weights: [channels, ...]), the least and greatest value of
    sum w * (x + input_offset) + bias over all int8 inputs x."""
    w = weights.reshape(weights.shape[0], -1).astype(np.int64)
    a, b = -128 + input_offset, 127 + input_offset
    bias = np.zeros(w.shape[0], np.int64) if bias is None else np.asarray(bias, np.int64)
    lo = np.minimum(w * a, w * b).sum(axis=1) + bias
    hi = np.maximum(w * a, w * b).sum(axis=1) + bias
    return lo, hi
