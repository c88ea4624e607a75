"""Generation-time arithmetic for the builtin kernels: requantization constants and folded biases.

TFLM requantizes an int32 accumulator x of a channel with multiplier M (a Q31 significand in
[2^30, 2^31)) and shift -e (e >= 0) in two rounding steps (tg_common.h, tg_requantize):

    r = SaturatingRoundingDoublingHighMul(x, M) = floor((x*M + 2^30) / 2^31)
    y = RoundingDivideByPOT(r, e) + zp = floor((r + 2^(e-1) - [r < 0]) / 2^e) + zp     (e >= 1)

(the high multiply's nudge of 1 - 2^30 for negative products with C's truncating division is the
same floor; the divide rounds half away from zero). One SMMLAR does the first step: it returns
floor((Ra * 2^32 + Rn*Rm + 2^31) / 2^32), so with Rn = 2x (the accumulator doubled, by the kernel
or through doubled weights) and Ra = C,

    SMMLAR(2x, M, C) = C + floor((x*M + 2^30) / 2^31) = C + r,

and C = 2^(e-1) + zp * 2^e - [x < 0] makes an arithmetic shift right by e give y exactly (floor
of a sum with an integer). r < 0 exactly when x < 0 (M >= 2^30; for x = -1, M = 2^30 both forms
give the same y). The [x < 0] term only moves exact ties of negative r, whose outputs are <= zp:
when the activation clamps everything at or below zp (act_min >= zp) it never shows and the
kernels skip it ("sign_fix" off). With e = 0 the divide is the identity and C = zp.

Per channel the kernels read three words: M, C (without the sign fix), e. A channel whose output
is the same for every reachable accumulator v (zero weights, a tiny multiplier) becomes M = 0,
C = 2v + 1, e = 1. A layer where this does not fit (a left shift, i.e. a real multiplier >= 1;
C or C + r or 2x outside int32; e = 0 needing the sign fix) keeps TFLM's two steps ("exact" mode,
words M, shift, 0) on the plain, undoubled accumulator.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinygen.quant import INT32_MAX, INT32_MIN, multiply_by_quantized_multiplier, saturating_doubling_high_mul



@dataclass
class Requant:
    table: np.ndarray  # int32 [channels, 3]: M, C, e (exact mode: M, shift, 0)
    exact: bool
    sign_fix: bool
    output_offset: int
    act_min: int
    act_max: int

    @property
    def doubled(self) -> bool:
        """Whether the kernel's requantization expects the accumulator doubled."""
        return not self.exact

    def fields(self) -> dict:
        return {"exact": int(self.exact), "sign_fix": int(self.sign_fix), "output_offset": self.output_offset,
                "act_min": self.act_min, "act_max": self.act_max}


def smmlar(a: int, b: int, c: int) -> int:
    """The SMMLAR instruction: the high word of c * 2^32 + a*b, rounded (Python ints, int32 result)."""
    v = ((c << 32) + a * b + (1 << 31)) >> 32
    return (v + (1 << 31)) % (1 << 32) - (1 << 31)


def fast_requantize(x: int, row, sign_fix: bool) -> int:
    """What opt_requantize computes in fast mode from accumulator x, before the activation clamp."""
    m, c, e = (int(v) for v in row[:3])
    c -= 1 if sign_fix and x < 0 else 0
    return max(-128, min(127, smmlar(2 * x, m, c) >> e))


def requant(multipliers, shifts, output_offset: int, act_min: int, act_max: int, x_range) -> Requant:
    """Constants for channels with these TFLM multipliers/shifts; x_range = (lo, hi) arrays bound
    each channel's accumulator (bias included): constant channels and overflow checks use them."""
    multipliers = [int(m) for m in multipliers]
    shifts = [int(s) for s in shifts]
    los, his = (np.broadcast_to(np.asarray(v, dtype=object), (len(multipliers),)) for v in x_range)
    sign_fix = act_min < output_offset
    rows = []
    for m, s, lo, hi in zip(multipliers, shifts, los, his):
        row = _fast_row(m, s, int(lo), int(hi), output_offset, act_min, act_max, sign_fix)
        if row is None:
            rows = [(m, s, 0) for m, s in zip(multipliers, shifts)]
            return Requant(np.array(rows, np.int32), True, False, output_offset, act_min, act_max)
        rows.append(row)
    return Requant(np.array(rows, np.int32), False, sign_fix, output_offset, act_min, act_max)


def _fast_row(m: int, s: int, lo: int, hi: int, zp: int, act_min: int, act_max: int, sign_fix: bool):
    if lo < INT32_MIN or hi > INT32_MAX or m < 0:
        return None
    first, last = (max(act_min, min(act_max, multiply_by_quantized_multiplier(x, m, s) + zp)) for x in (lo, hi))
    if first == last:  # the output never changes (zero weights, a tiny multiplier): a constant
        return 0, 2 * first + 1, 1  # (2v + 1 - [x < 0]) >> 1 = v, with or without the sign fix
    e = -s
    if s > 0 or e > 31 or m < (1 << 30) or (e == 0 and sign_fix) or not (INT32_MIN <= 2 * lo and 2 * hi <= INT32_MAX):
        return None
    c = zp if e == 0 else (1 << (e - 1)) + zp * (1 << e)
    r_lo, r_hi = saturating_doubling_high_mul(lo, m), saturating_doubling_high_mul(hi, m)
    if not (INT32_MIN <= c - 1 + min(r_lo, 0) and c + max(r_hi, 0) <= INT32_MAX):
        return None
    return m, c, e


def accumulator_range(weights: np.ndarray, bias, input_offset: int) -> tuple[np.ndarray, np.ndarray]:
    """Per output channel (weights: [channels, ...]), the least and greatest value of
    sum w * (x + input_offset) + bias over all int8 inputs x."""
    w = weights.reshape(weights.shape[0], -1).astype(np.int64)
    a, b = -128 + input_offset, 127 + input_offset
    bias = np.zeros(w.shape[0], np.int64) if bias is None else np.asarray(bias, np.int64)
    lo = np.minimum(w * a, w * b).sum(axis=1) + bias
    hi = np.maximum(w * a, w * b).sum(axis=1) + bias
    return lo, hi
