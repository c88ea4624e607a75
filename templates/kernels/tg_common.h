/* Fixed-point helpers shared by the kernels: the requantization arithmetic of TFLite Micro's
 * reference kernels (saturating rounding doubling high multiply, then a rounding right shift). */
#ifndef TG_COMMON_H
#define TG_COMMON_H

#include <stdint.h>

static inline int32_t tg_min_i32(int32_t a, int32_t b) { return a < b ? a : b; }
static inline int32_t tg_max_i32(int32_t a, int32_t b) { return a > b ? a : b; }
static inline int32_t tg_clamp_i32(int32_t x, int32_t lo, int32_t hi) { return tg_min_i32(tg_max_i32(x, lo), hi); }

/* High 32 bits of 2*a*b, rounded to nearest; the one overflowing case saturates. */
static inline int32_t tg_sat_doubling_high_mul(int32_t a, int32_t b) {
  if (a == INT32_MIN && b == INT32_MIN) return INT32_MAX;
  int64_t ab = (int64_t)a * (int64_t)b;
  int32_t nudge = ab >= 0 ? (1 << 30) : (1 - (1 << 30));
  return (int32_t)((ab + nudge) / (1LL << 31));
}

/* x / 2^exponent rounded to nearest, ties away from zero. */
static inline int32_t tg_rounding_divide_by_pot(int32_t x, int exponent) {
  int32_t mask = (int32_t)((1LL << exponent) - 1);
  int32_t remainder = x & mask;
  int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

/* x * multiplier * 2^shift with multiplier a Q31 significand: TFLM's MultiplyByQuantizedMultiplier. */
static inline int32_t tg_requantize(int32_t x, int32_t multiplier, int32_t shift) {
  int left = shift > 0 ? shift : 0;
  int right = shift > 0 ? 0 : -shift;
  /* Shift through uint32 so that wrap-around matches the reference without signed overflow. */
  int32_t shifted = (int32_t)((uint32_t)x << left);
  return tg_rounding_divide_by_pot(tg_sat_doubling_high_mul(shifted, multiplier), right);
}

#endif
