#include "l2norm.h"

#include "tg_common.h"
#include "tg_fixedpoint.h"

#define OUTPUT_FRACTION_BITS 7

static int leading_zeros(uint32_t x) {
  int n = 0;
  for (uint32_t bit = 1u << 31; bit && !(x & bit); bit >>= 1) ++n;
  return n;
}

/* 1 / sqrt(x) as a Q31 multiplier and a power-of-two exponent (TFLM's
 * GetInvSqrtQuantizedMultiplierExp): x is scaled by powers of 4 into [2^27, 2^29), then five
 * Newton-Raphson steps x <- x * (3 - a * x^2) / 2 run in Q3 starting from 1. */
static void inv_sqrt(int32_t x, int32_t *multiplier, int32_t *exponent) {
  if (x <= 1) { /* TFLM's answer for 0 and 1 alike */
    *multiplier = INT32_MAX;
    *exponent = 0;
    return;
  }
  int32_t shift = 11;
  while (x >= (1 << 29)) {
    x /= 4;
    ++shift;
  }
  const int pairs = (leading_zeros((uint32_t)x) - 1) / 2 - 1;
  shift -= pairs;
  x <<= 2 * pairs;
  const int32_t half_input = tg_rounding_divide_by_pot(x >> 1, 1); /* Q3 */
  const int32_t three_halves = (1 << 28) + (1 << 27);             /* Q3 */
  int32_t y = 1 << 28;                                             /* Q3 one */
  for (int i = 0; i < 5; ++i) {
    const int32_t y3 = tg_fp_mul_by_pot(tg_fp_mul(tg_fp_mul(y, y), y), 6); /* Q9 -> Q3 */
    y = tg_fp_mul_by_pot(tg_fp_mul(three_halves, y) - tg_fp_mul(half_input, y3), 3); /* Q6 -> Q3 */
  }
  y = tg_fp_mul(y, 1518500250); /* sqrt(2) / 2 in Q0 */
  if (shift < 0) {
    y = (int32_t)((uint32_t)y << -shift);
    shift = 0;
  }
  *multiplier = y;
  *exponent = -shift;
}

void tg_l2norm_s8(const tg_l2norm_params *p, const int8_t *input, int8_t *output) {
  for (int32_t r = 0; r < p->rows; ++r, input += p->depth, output += p->depth) {
    int32_t sum_of_squares = 0;
    for (int32_t i = 0; i < p->depth; ++i) {
      const int32_t v = input[i] - p->input_zero_point;
      sum_of_squares += v * v;
    }
    int32_t multiplier, exponent;
    inv_sqrt(sum_of_squares, &multiplier, &exponent);
    for (int32_t i = 0; i < p->depth; ++i) {
      const int32_t scaled = tg_requantize(input[i] - p->input_zero_point, multiplier, exponent + OUTPUT_FRACTION_BITS);
      output[i] = (int8_t)tg_clamp_i32(scaled, INT8_MIN, INT8_MAX);
    }
  }
}
