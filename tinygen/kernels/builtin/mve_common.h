/* Shared by tinygen's Helium (MVE) kernels for the Cortex-M55 (mve_*.h): TFLM's requantization of
 * four int32 accumulators at once, and the inner loops of the int8 dot products.
 *
 * The kernels are selected by the builtin backend only for cores with MVE (__ARM_FEATURE_MVE).
 *
 * Requantization, exactly as TFLM's MultiplyByQuantizedMultiplier per lane (tg_requantize):
 *   x <<= left                          VSHL (wraps, as TFLM's multiplication by 1 << left does)
 *   r = SaturatingRoundingDoublingHighMul(x, M)        VQRDMULH is that instruction
 *   y = RoundingDivideByPOT(r, e)       rounds half away from zero; VRSHL by -e rounds half up, so
 *                                       negative r first lose 1 (a saturating add of the sign of
 *                                       r & -e, which is set only for r < 0 and e > 0)
 * then + zero point and the activation clamp. Ties of negative r only move outputs at or below the
 * zero point: with an activation that clamps there (act_min >= zero point) the fix-up is skipped
 * (`sign_fix` 0). Four lanes take a vector of biases and a record of vectors, prepared at
 * generation time (tinygen/backends/builtin_mve.py): left shift (only in a layer where some lane
 * shifts left: `left_shift` 1), multiplier, -right shift, four int32 lanes each (a record is 8
 * words, 12 with the left shift); a layer whose lanes all share one record (per-tensor
 * quantization) stores it once (`rq_stride` 0).
 */
#ifndef MVE_COMMON_H
#define MVE_COMMON_H

#include <stdint.h>

#include <arm_mve.h>

#include "tg_common.h"

#define MVE_ALWAYS_INLINE static inline __attribute__((always_inline))

/* Hides how a pointer was computed, so GCC forms it where it is used (one ADD) instead of keeping
 * one induction variable per constant offset, which it spills once there are more than registers. */
#define MVE_OPAQUE(p) __asm__("" : "+r"(p))

/* Every MVE kernel's params struct has these fields:
 *   int32_t left_shift;  1: some lane shifts left first (a real multiplier >= 1, rare)
 *   int32_t sign_fix;    1: negative ties can show (the activation does not clamp them away)
 *   int32_t output_offset, act_min, act_max; */
#define MVE_REQUANTIZE(p, acc, bias, rec)                                                                    \
  mve_requantize4((acc), (bias), (rec), (p)->left_shift, (p)->sign_fix, (p)->output_offset, (p)->act_min, \
                  (p)->act_max)

MVE_ALWAYS_INLINE int32x4_t mve_requantize4(int32x4_t acc, const int32_t *bias, const int32_t *rec, int32_t left_shift,
                                            int32_t sign_fix, int32_t output_offset, int32_t act_min,
                                            int32_t act_max) {
  int32x4_t x = vaddq_s32(acc, vldrwq_s32(bias));
  if (left_shift) {
    x = vshlq_s32(x, vldrwq_s32(rec));
    rec += 4;
  }
  x = vqrdmulhq_s32(x, vldrwq_s32(rec));
  const int32x4_t right = vldrwq_s32(rec + 4);
  if (sign_fix) x = vqaddq_s32(x, vshrq_n_s32(vandq_s32(x, right), 31));
  x = vaddq_n_s32(vrshlq_s32(x, right), output_offset);
  return vminq_s32(vmaxq_s32(x, vdupq_n_s32(act_min)), vdupq_n_s32(act_max));
}

/* Four scalar accumulators as one vector (lane i = ai). */
MVE_ALWAYS_INLINE int32x4_t mve_pack4(int32_t a0, int32_t a1, int32_t a2, int32_t a3) {
  return vsetq_lane_s32(a3, vsetq_lane_s32(a2, vsetq_lane_s32(a1, vdupq_n_s32(a0), 1), 2), 3);
}

/* A predicate from its 16 bits (four per 32-bit lane). The empty asm hides the value from GCC 12,
 * which folds a constant mve_pred16_t that is not all zeros or all ones into all ones (the store
 * of a last odd pixel then wrote the lanes it should have left out). */
MVE_ALWAYS_INLINE mve_pred16_t mve_predicate(uint32_t bits) {
  __asm__("" : "+r"(bits));
  return (mve_pred16_t)bits;
}

/* The predicate of the first `lanes` 32-bit lanes (0 to 4). */
MVE_ALWAYS_INLINE mve_pred16_t mve_lanes(int32_t lanes) { return mve_predicate((1u << (4 * lanes)) - 1u); }

/* Dot products over `depth` int8 values in a tail-predicated low-overhead loop (DLSTP/LETP: the last
 * pass loads only the values left, so nothing is read past them). Per 16 values, VLDRB with
 * write-back and one VMLADAVA per accumulator, which must sit in an even register ("Te").
 *
 * mve_dot_2x2: columns c0, c1 (two pixels) against two channels' weights interleaved per 16
 *   values (w: [chunk][2][16]): a0 = c0.w0, a1 = c0.w1, a2 = c1.w0, a3 = c1.w1.
 * mve_dot_1x4: one column against four channels' weights (w: [chunk][4][16]): ai = c.wi. */
#define MVE_DOT_OPERANDS                                                                           \
  [a0] "+Te"(a0), [a1] "+Te"(a1), [a2] "+Te"(a2), [a3] "+Te"(a3), [w] "+r"(w)

MVE_ALWAYS_INLINE void mve_dot_2x2(const int8_t *c0, const int8_t *c1, const int8_t *w, int32_t depth, int32_t *acc) {
  int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
  __asm__ volatile("wlstp.8 lr, %[n], 2f\n"
                   "1:\n\t"
                   "vldrb.8 q0, [%[c0]], #16\n\t"
                   "vldrb.8 q2, [%[w]], #16\n\t"
                   "vldrb.8 q1, [%[c1]], #16\n\t"
                   "vmladava.s8 %[a0], q0, q2\n\t"
                   "vldrb.8 q3, [%[w]], #16\n\t"
                   "vmladava.s8 %[a2], q1, q2\n\t"
                   "vmladava.s8 %[a1], q0, q3\n\t"
                   "vmladava.s8 %[a3], q1, q3\n\t"
                   "letp lr, 1b\n"
                   "2:"
                   : MVE_DOT_OPERANDS, [c0] "+r"(c0), [c1] "+r"(c1)
                   : [n] "r"(depth)
                   : "q0", "q1", "q2", "q3", "lr", "memory");
  acc[0] = a0, acc[1] = a1, acc[2] = a2, acc[3] = a3;
}

MVE_ALWAYS_INLINE void mve_dot_1x4(const int8_t *c, const int8_t *w, int32_t depth, int32_t *acc) {
  int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
  __asm__ volatile("wlstp.8 lr, %[n], 2f\n"
                   "1:\n\t"
                   "vldrb.8 q0, [%[c]], #16\n\t"
                   "vldrb.8 q1, [%[w]], #16\n\t"
                   "vldrb.8 q2, [%[w]], #16\n\t"
                   "vmladava.s8 %[a0], q0, q1\n\t"
                   "vldrb.8 q3, [%[w]], #16\n\t"
                   "vmladava.s8 %[a1], q0, q2\n\t"
                   "vldrb.8 q1, [%[w]], #16\n\t"
                   "vmladava.s8 %[a2], q0, q3\n\t"
                   "vmladava.s8 %[a3], q0, q1\n\t"
                   "letp lr, 1b\n"
                   "2:"
                   : MVE_DOT_OPERANDS, [c] "+r"(c)
                   : [n] "r"(depth)
                   : "q0", "q1", "q2", "q3", "lr", "memory");
  acc[0] = a0, acc[1] = a1, acc[2] = a2, acc[3] = a3;
}

/* n bytes from src to dst, 16 at a time, the last pass predicated. */
MVE_ALWAYS_INLINE int8_t *mve_copy(int8_t *dst, const int8_t *src, int32_t n) {
  for (int32_t i = 0; i < n; i += 16) {
    const mve_pred16_t p = vctp8q((uint32_t)(n - i));
    vstrbq_p_s8(dst + i, vldrbq_z_s8(src + i, p), p);
  }
  return dst + n;
}

/* n bytes of `value` at dst. */
MVE_ALWAYS_INLINE int8_t *mve_fill(int8_t *dst, int32_t value, int32_t n) {
  const int8x16_t v = vdupq_n_s8((int8_t)value);
  for (int32_t i = 0; i < n; i += 16) vstrbq_p_s8(dst + i, v, vctp8q((uint32_t)(n - i)));
  return dst + n;
}

#endif
