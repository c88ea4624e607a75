/* Fixed-point transcendental functions with the exact results of gemmlowp's fixedpoint.h, which
 * TFLite Micro's int8 SOFTMAX, LOGISTIC and TANH kernels are built on.
 *
 * A value is a raw int32_t with an implied number of integer bits n: it stands for
 * raw / 2^(31 - n). "Qn" below names that format; Q0 covers [-1, 1). Functions taking an
 * `int_bits` argument are meant to be called with a constant so the compiler folds it away. */
#ifndef TG_FIXEDPOINT_H
#define TG_FIXEDPOINT_H

#include <stdint.h>

#include "tg_common.h"

/* Leading zero bits of x, 32 for 0 (a loop: __builtin_clz is undefined at 0). */
static inline int32_t tg_clz32(uint32_t x) {
  int32_t n = 0;
  for (; n < 32 && !(x & 0x80000000u); ++n) x <<= 1;
  return n;
}

/* Qa * Qb -> Q(a+b). */
static inline int32_t tg_fp_mul(int32_t a, int32_t b) { return tg_sat_doubling_high_mul(a, b); }

/* (a + b) / 2, rounded to nearest with ties away from zero, without intermediate overflow. */
static inline int32_t tg_fp_rounding_half_sum(int32_t a, int32_t b) {
  int64_t sum = (int64_t)a + (int64_t)b;
  return (int32_t)((sum + (sum >= 0 ? 1 : -1)) / 2);
}

/* x * 2^exponent: a saturating left shift, or a rounding right shift for negative exponents. */
static inline int32_t tg_fp_mul_by_pot(int32_t x, int exponent) {
  if (exponent < 0) return tg_rounding_divide_by_pot(x, -exponent);
  if (exponent == 0) return x;
  int32_t limit = (int32_t)((1u << (31 - exponent)) - 1);
  if (x > limit) return INT32_MAX;
  if (x < -limit) return INT32_MIN;
  return (int32_t)((uint32_t)x << exponent);
}

/* exp(a) for a Q0 value a in [-1/4, 0): a fourth-order Taylor expansion around -1/8. */
static inline int32_t tg_fp_exp_on_quarter_interval(int32_t a) {
  const int32_t exp_minus_one_eighth = 1895147668; /* Q0 */
  const int32_t one_third = 715827883;             /* Q0 */
  int32_t x = a + (1 << 28);                       /* a + 1/8 */
  int32_t x2 = tg_fp_mul(x, x);
  int32_t x3 = tg_fp_mul(x2, x);
  int32_t x4 = tg_fp_mul(x2, x2);
  int32_t x4_over_4 = tg_fp_mul_by_pot(x4, -2);
  int32_t higher_terms = tg_fp_mul_by_pot(tg_fp_mul(x4_over_4 + x3, one_third) + x2, -1);
  return exp_minus_one_eighth + tg_fp_mul(exp_minus_one_eighth, x + higher_terms);
}

/* exp(a) as Q0 for a Qint_bits value a <= 0, int_bits <= 5 (so a >= -32): the fractional part
 * modulo 1/4 goes through the polynomial, then each set bit of the rest multiplies in a constant
 * exp(-2^k). */
static inline int32_t tg_fp_exp_on_negative_values(int32_t a, int int_bits) {
  static const int32_t exp_minus_pot[7] = { /* Q0 exp(-2^k) for k = -2..4 */
    1672461947, 1302514674, 790015084, 290630308, 39332535, 720401, 242};
  const int frac_bits = 31 - int_bits;
  const int32_t quarter = 1 << (frac_bits - 2);
  int32_t a_mod_quarter_minus_quarter = (a & (quarter - 1)) - quarter;
  int32_t result = tg_fp_exp_on_quarter_interval(tg_fp_mul_by_pot(a_mod_quarter_minus_quarter, int_bits));
  int32_t remainder = a_mod_quarter_minus_quarter - a;
  for (int k = -2; k < int_bits && k <= 4; ++k) {
    if (remainder & (1 << (frac_bits + k))) result = tg_fp_mul(result, exp_minus_pot[k + 2]);
  }
  return a == 0 ? INT32_MAX : result;
}

/* Three Newton-Raphson steps towards 1 / d for d = half_denominator in [1/2, 1), as Q2. */
static inline int32_t tg_fp_reciprocal_of_half_denominator(int32_t half_denominator) {
  const int32_t q2_one = 1 << 29;
  int32_t x = 1515870810 + tg_fp_mul(half_denominator, -1010580540); /* 48/17 - 32/17 * d */
  for (int i = 0; i < 3; ++i) {
    int32_t error = q2_one - tg_fp_mul(half_denominator, x);
    x += tg_fp_mul_by_pot(tg_fp_mul(x, error), 2);
  }
  return x;
}

/* 1 / (1 + a) as Q0 for a Q0 value a in [0, 1). */
static inline int32_t tg_fp_one_over_one_plus_x(int32_t a) {
  int32_t x = tg_fp_reciprocal_of_half_denominator(tg_fp_rounding_half_sum(a, INT32_MAX));
  return tg_fp_mul_by_pot(x, 1); /* halving Q2 is reading it as Q1 */
}

/* (1 - a) / (1 + a) as Q0 for a Q0 value a in [0, 1). */
static inline int32_t tg_fp_one_minus_x_over_one_plus_x(int32_t a) {
  int32_t x = tg_fp_reciprocal_of_half_denominator(tg_fp_rounding_half_sum(a, INT32_MAX));
  return tg_fp_mul_by_pot(x - (1 << 29), 2);
}

/* 1 / (1 + exp(-a)) as Q0 for a Qint_bits value a, int_bits <= 5. */
static inline int32_t tg_fp_logistic(int32_t a, int int_bits) {
  if (a == 0) return 1 << 30;
  int32_t magnitude = a > 0 ? a : -a;
  int32_t of_positive = tg_fp_one_over_one_plus_x(tg_fp_exp_on_negative_values(-magnitude, int_bits));
  return a > 0 ? of_positive : INT32_MAX - of_positive;
}

/* tanh(a) as Q0 for a Qint_bits value a, int_bits <= 4 (exp(-2|a|) needs one more bit). */
static inline int32_t tg_fp_tanh(int32_t a, int int_bits) {
  if (a == 0) return 0;
  int32_t negative_magnitude = a < 0 ? a : -a;
  int32_t of_negative = tg_fp_one_minus_x_over_one_plus_x(tg_fp_exp_on_negative_values(negative_magnitude, int_bits + 1));
  return a < 0 ? -of_negative : of_negative;
}

#endif
