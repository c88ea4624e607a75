/* The few DSP-extension instructions the optimized kernels (opt_*) use, as inline functions.
 *
 * On a core with the DSP extension (Cortex-M4/M7/M33: __ARM_FEATURE_DSP) each one is the
 * instruction itself, through <arm_acle.h> or a one-line asm where GCC has no intrinsic for the
 * rotated form. Everywhere else (the host, Cortex-M0+/M3) each one is portable C computing
 * exactly the instruction's result, so the host tests run the same algorithm bit for bit.
 *
 * Notation: a word holds two signed 16-bit lanes, "bottom" (bits 0-15) and "top" (bits 16-31).
 */
#ifndef TG_SIMD_H
#define TG_SIMD_H

#include <stdint.h>
#include <string.h>

#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP
#define TG_DSP 1
#include <arm_acle.h>
#else
#define TG_DSP 0
#endif

#define TG_ALWAYS_INLINE static inline __attribute__((always_inline))

/* A 32-bit load/store at any alignment (one LDR/STR on Cortex-M4/M7, which allow unaligned words). */
TG_ALWAYS_INLINE uint32_t tg_read32(const void *p) {
  uint32_t v;
  memcpy(&v, p, 4);
  return v;
}
TG_ALWAYS_INLINE void tg_write32(void *p, uint32_t v) { memcpy(p, &v, 4); }

/* An empty asm that claims to change the values: the compiler finishes computing them before it and
 * starts whatever uses them after, which stops it from interleaving independent accumulation chains
 * until they run out of registers. */
#if TG_DSP && defined(__GNUC__)
#define TG_BARRIER4(a, b, c, d) __asm__("" : "+r"(a), "+r"(b), "+r"(c), "+r"(d))
#else
#define TG_BARRIER4(a, b, c, d) ((void)0)
#endif

/* Hides how a pointer was computed, so the compiler keeps it in a register instead of re-deriving
 * it from a nearby address at every use. */
#if defined(__GNUC__)
#define TG_OPAQUE(p) __asm__("" : "+r"(p))
#else
#define TG_OPAQUE(p) ((void)0)
#endif

static inline int32_t tg_lane_bottom(uint32_t x) { return (int16_t)(x & 0xFFFFu); }
static inline int32_t tg_lane_top(uint32_t x) { return (int16_t)(x >> 16); }
static inline uint32_t tg_lanes(int32_t bottom, int32_t top) {
  return ((uint32_t)bottom & 0xFFFFu) | ((uint32_t)top << 16);
}

#if TG_DSP

/* The ACLE intrinsics take and return signed words (int8x4_t, int16x2_t, int32_t); the kernels
 * keep packed lanes in uint32_t, so each conversion is spelled out (a bit-for-bit reinterpretation
 * on these cores: -Wsign-conversion stays quiet and nothing changes in the code). */

/* SXTB16: bytes 0 and 2, sign-extended into the bottom and top lanes. */
TG_ALWAYS_INLINE uint32_t tg_sxtb16(uint32_t x) { return (uint32_t)__sxtb16((int8x4_t)x); }
/* SXTB16 ..., ROR #8: bytes 1 and 3. */
TG_ALWAYS_INLINE uint32_t tg_sxtb16_ror8(uint32_t x) {
  uint32_t r;
  __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(x));
  return r;
}
/* SXTAB16: a's lanes plus bytes 0 and 2 of x (sign-extended), each lane wrapping at 16 bits. */
TG_ALWAYS_INLINE uint32_t tg_sxtab16(uint32_t a, uint32_t x) {
  return (uint32_t)__sxtab16((int16x2_t)a, (int8x4_t)x);
}
TG_ALWAYS_INLINE uint32_t tg_sxtab16_ror8(uint32_t a, uint32_t x) {
  uint32_t r;
  __asm__("sxtab16 %0, %1, %2, ror #8" : "=r"(r) : "r"(a), "r"(x));
  return r;
}
/* PKHBT a, b, LSL #16: bottom lane of a, bottom lane of b as top lane. */
TG_ALWAYS_INLINE uint32_t tg_pkhbt(uint32_t a, uint32_t b) {
  uint32_t r;
  __asm__("pkhbt %0, %1, %2, lsl #16" : "=r"(r) : "r"(a), "r"(b));
  return r;
}
/* PKHTB a, b, ASR #16: top lane of b as bottom lane, top lane of a. */
TG_ALWAYS_INLINE uint32_t tg_pkhtb(uint32_t a, uint32_t b) {
  uint32_t r;
  __asm__("pkhtb %0, %1, %2, asr #16" : "=r"(r) : "r"(a), "r"(b));
  return r;
}
/* SMLAD: acc + bottom*bottom + top*top (wrapping; the Q flag is not looked at). */
TG_ALWAYS_INLINE int32_t tg_smlad(uint32_t a, uint32_t b, int32_t acc) {
  return __smlad((int16x2_t)a, (int16x2_t)b, acc);
}
/* SMLAxy: acc + one lane of a times one lane of b (B: bottom, T: top). */
TG_ALWAYS_INLINE int32_t tg_smlabb(uint32_t a, uint32_t b, int32_t acc) { return __smlabb((int32_t)a, (int32_t)b, acc); }
TG_ALWAYS_INLINE int32_t tg_smlatt(uint32_t a, uint32_t b, int32_t acc) { return __smlatt((int32_t)a, (int32_t)b, acc); }
TG_ALWAYS_INLINE int32_t tg_smlabt(uint32_t a, uint32_t b, int32_t acc) { return __smlabt((int32_t)a, (int32_t)b, acc); }
TG_ALWAYS_INLINE int32_t tg_smlatb(uint32_t a, uint32_t b, int32_t acc) { return __smlatb((int32_t)a, (int32_t)b, acc); }
/* SSAT #8: saturate to [-128, 127]. As asm: GCC's __ssat macro converts its builtin's unsigned
 * result to int32_t inside the macro, where no cast of ours reaches (-Wsign-conversion). */
TG_ALWAYS_INLINE int32_t tg_ssat8(int32_t x) {
  int32_t r;
  __asm__("ssat %0, #8, %1" : "=r"(r) : "r"(x));
  return r;
}
/* SMMLAR: c + the high word of a*b, rounded: (c * 2^32 + a*b + 2^31) >> 32. */
TG_ALWAYS_INLINE int32_t tg_smmlar(int32_t a, int32_t b, int32_t c) {
  int32_t r;
  __asm__("smmlar %0, %1, %2, %3" : "=r"(r) : "r"(a), "r"(b), "r"(c));
  return r;
}

#else

TG_ALWAYS_INLINE uint32_t tg_sxtb16(uint32_t x) { return tg_lanes((int8_t)(x & 0xFFu), (int8_t)((x >> 16) & 0xFFu)); }
TG_ALWAYS_INLINE uint32_t tg_sxtb16_ror8(uint32_t x) { return tg_sxtb16((x >> 8) | (x << 24)); }
TG_ALWAYS_INLINE uint32_t tg_sxtab16(uint32_t a, uint32_t x) {
  const uint32_t e = tg_sxtb16(x);
  return ((a + e) & 0xFFFFu) | (((a >> 16) + (e >> 16)) << 16);
}
TG_ALWAYS_INLINE uint32_t tg_sxtab16_ror8(uint32_t a, uint32_t x) { return tg_sxtab16(a, (x >> 8) | (x << 24)); }
TG_ALWAYS_INLINE uint32_t tg_pkhbt(uint32_t a, uint32_t b) { return (a & 0xFFFFu) | (b << 16); }
TG_ALWAYS_INLINE uint32_t tg_pkhtb(uint32_t a, uint32_t b) { return (a & 0xFFFF0000u) | (b >> 16); }
TG_ALWAYS_INLINE int32_t tg_smlad(uint32_t a, uint32_t b, int32_t acc) {
  return (int32_t)((uint32_t)acc + (uint32_t)(tg_lane_bottom(a) * tg_lane_bottom(b)) +
                   (uint32_t)(tg_lane_top(a) * tg_lane_top(b)));
}
TG_ALWAYS_INLINE int32_t tg_smlabb(uint32_t a, uint32_t b, int32_t acc) {
  return (int32_t)((uint32_t)acc + (uint32_t)(tg_lane_bottom(a) * tg_lane_bottom(b)));
}
TG_ALWAYS_INLINE int32_t tg_smlatt(uint32_t a, uint32_t b, int32_t acc) {
  return (int32_t)((uint32_t)acc + (uint32_t)(tg_lane_top(a) * tg_lane_top(b)));
}
TG_ALWAYS_INLINE int32_t tg_smlabt(uint32_t a, uint32_t b, int32_t acc) {
  return (int32_t)((uint32_t)acc + (uint32_t)(tg_lane_bottom(a) * tg_lane_top(b)));
}
TG_ALWAYS_INLINE int32_t tg_smlatb(uint32_t a, uint32_t b, int32_t acc) {
  return (int32_t)((uint32_t)acc + (uint32_t)(tg_lane_top(a) * tg_lane_bottom(b)));
}
TG_ALWAYS_INLINE int32_t tg_ssat8(int32_t x) { return x < -128 ? -128 : x > 127 ? 127 : x; }
#if defined(__ARM_ARCH_6M__)
/* ARMv6-M has no 32 x 32 -> 64 multiply (the 64-bit form below calls __aeabi_lmul, about three
 * times as many instructions): the product from 16-bit halves, a = ah * 2^16 + al (al unsigned),
 * a * b = ah*bh * 2^32 + (ah*bl + al*bh) * 2^16 + al*bl, each partial product fitting 32 bits; the
 * middle ones are split again so that every carry into the high word is counted. Out of line, as
 * the library's multiply is: a copy at every requantization would add kilobytes of flash. */
static __attribute__((noinline, unused)) int32_t tg_smmlar(int32_t a, int32_t b, int32_t c) {
  const uint32_t al = (uint32_t)a & 0xFFFFu, bl = (uint32_t)b & 0xFFFFu;
  const int32_t ah = a >> 16, bh = b >> 16;
  const int32_t m1 = ah * (int32_t)bl, m2 = (int32_t)al * bh;
  const uint32_t middle = ((uint32_t)m1 & 0xFFFFu) + ((uint32_t)m2 & 0xFFFFu); /* below 2^17 */
  const uint32_t s1 = middle << 16, s2 = s1 + al * bl, s3 = s2 + 0x80000000u;
  const uint32_t carries = (middle >> 16) + (s2 < s1) + (s3 < s2);
  return (int32_t)((uint32_t)c + (uint32_t)(ah * bh) + (uint32_t)(m1 >> 16) + (uint32_t)(m2 >> 16) + carries);
}
#else
TG_ALWAYS_INLINE int32_t tg_smmlar(int32_t a, int32_t b, int32_t c) {
  /* Through uint64 so that the wrap-around of c * 2^32 is defined; the high word is the result. */
  const uint64_t sum = ((uint64_t)(uint32_t)c << 32) + (uint64_t)((int64_t)a * b) + 0x80000000u;
  return (int32_t)(uint32_t)(sum >> 32);
}
#endif

#endif

#endif
