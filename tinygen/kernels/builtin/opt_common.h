/* Shared by tinygen's optimized kernels (opt_*): requantization with per-channel constants prepared
 * at generation time (tinygen/backends/builtin_quant.py), bit-exact with tg_requantize.
 *
 * TFLM's two rounding steps for accumulator x, multiplier M and shift -e, with zero point zp:
 *   r = floor((x*M + 2^30) / 2^31)                          (high multiply, rounding half up)
 *   y = floor((r + 2^(e-1) - [r < 0]) / 2^e) + zp           (divide, rounding half away from zero)
 * One SMMLAR gives C + r from the doubled accumulator: SMMLAR(2x, M, C) = C + floor((2xM + 2^31) / 2^32),
 * and with C = 2^(e-1) + zp * 2^e - [x < 0] an arithmetic shift by e leaves y. Per channel the
 * constants are three words: M, C (without the [x < 0]), e. The [x < 0] term ("sign_fix") only
 * moves exact ties below the zero point, so layers whose activation clamps there skip it.
 * Layers where this does not apply keep TFLM's two steps ("exact": words M, shift, 0, on the
 * undoubled accumulator; opt_rq's c then holds the shift).
 */
#ifndef OPT_COMMON_H
#define OPT_COMMON_H

#include <stdint.h>

#include "tg_common.h"
#include "tg_simd.h"

/* A channel's requantization constants, read into registers before any output is stored (an
 * int8 store may alias them, so the compiler would otherwise read them again after each one). */
typedef struct {
  int32_t m, c, e;
} opt_rq;

TG_ALWAYS_INLINE opt_rq opt_rq_load(const int32_t *q) {
  opt_rq r = {q[0], q[1], q[2]};
  return r;
}

/* Every optimized kernel's params struct has these fields, shared by all its channels:
 *   int32_t exact;     1: TFLM's two-step arithmetic (rare layers)
 *   int32_t sign_fix;  1: ties below zero can show (the activation does not clamp them away)
 *   int32_t output_offset, act_min, act_max;
 * OPT_REQUANTIZE: the int8 output of accumulator x (bias included) with a channel's constants `r`
 * (opt_rq_load). OPT_REQUANTIZE_X2: the same where the kernel's data already doubled the
 * accumulator (doubled weights or inputs and bias, generated so in fast mode only). */
#define OPT_REQUANTIZE(p, x, r) \
  opt_requantize((x), 0, (r), (p)->exact, (p)->sign_fix, (p)->output_offset, (p)->act_min, (p)->act_max)
#define OPT_REQUANTIZE_X2(p, x, r) \
  opt_requantize((x), 1, (r), (p)->exact, (p)->sign_fix, (p)->output_offset, (p)->act_min, (p)->act_max)

TG_ALWAYS_INLINE int32_t opt_requantize(int32_t x, int32_t doubled, opt_rq r, int32_t exact, int32_t sign_fix,
                                        int32_t output_offset, int32_t act_min, int32_t act_max) {
  int32_t y;
  if (exact) {
    y = tg_clamp_i32(tg_requantize(x, r.m, r.c) + output_offset, -128, 127);
  } else {
    const int32_t x2 = doubled ? x : (int32_t)((uint32_t)x << 1);
    int32_t c = r.c;
    if (sign_fix) c -= (int32_t)((uint32_t)x2 >> 31);
    y = tg_ssat8(tg_smmlar(x2, r.m, c) >> r.e);
  }
  if (act_min > -128) y = tg_max_i32(y, act_min);
  if (act_max < 127) y = tg_min_i32(y, act_max);
  return y;
}

#endif
