/* Reference int8 softmax: exponentials in fixed point relative to the row maximum, their sum in
 * Q12, and one reciprocal of the sum per row. */
#include "softmax.h"

#include "tg_common.h"
#include "tg_fixedpoint.h"

enum { kDiffIntegerBits = 5, kSumIntegerBits = 12 };

/* exp(beta * input_scale * diff) as Q0, for a difference not below diff_min. */
static int32_t exp_of_diff(const tg_softmax_params *p, int32_t diff) {
  int32_t scaled_diff = tg_requantize(diff, p->input_multiplier, p->input_left_shift);
  return tg_fp_exp_on_negative_values(scaled_diff, kDiffIntegerBits);
}

/* One row; the output is int8 (output_bits 8) or int16 (16), its zero point the type's minimum. */
static void softmax_row(const tg_softmax_params *p, const int8_t *input, int output_bits, void *output) {
  const int32_t out_min = -(1 << (output_bits - 1)), out_max = (1 << (output_bits - 1)) - 1;
  int32_t max = INT8_MIN;
  for (int32_t c = 0; c < p->depth; ++c) max = tg_max_i32(max, input[c]);

  /* Unsigned so that a row too long for the Q12 sum wraps, as the reference's int32 does. */
  uint32_t sum = 0;
  for (int32_t c = 0; c < p->depth; ++c) {
    int32_t diff = input[c] - max;
    if (diff >= p->diff_min) sum += (uint32_t)tg_fp_mul_by_pot(exp_of_diff(p, diff), -kSumIntegerBits);
  }

  /* 1 / sum as a Q0 significand of 1 / (1 + x) with x in [0, 1), and its power of two. */
  int32_t headroom_plus_one = tg_clz32(sum);
  int32_t bits_over_unit = kSumIntegerBits - headroom_plus_one;
  int32_t sum_minus_one = (int32_t)((sum << headroom_plus_one) - 0x80000000u);
  int32_t reciprocal = tg_fp_one_over_one_plus_x(sum_minus_one);
  /* The reference aborts past 31 (a sum of 256 or more, where every output rounds to 0);
   * clamping keeps the shift defined. */
  int32_t exponent = tg_min_i32(bits_over_unit + 31 - output_bits, 31);

  for (int32_t c = 0; c < p->depth; ++c) {
    int32_t diff = input[c] - max;
    int32_t out = out_min;
    if (diff >= p->diff_min) {
      int32_t scaled = tg_rounding_divide_by_pot(tg_fp_mul(reciprocal, exp_of_diff(p, diff)), exponent);
      out = tg_clamp_i32(scaled + out_min, out_min, out_max);
    }
    if (output_bits == 8) {
      ((int8_t *)output)[c] = (int8_t)out;
    } else {
      ((int16_t *)output)[c] = (int16_t)out;
    }
  }
}

void tg_softmax_s8(const tg_softmax_params *p, const int8_t *input, int8_t *output) {
  for (int32_t r = 0; r < p->rows; ++r) softmax_row(p, input + r * p->depth, 8, output + r * p->depth);
}

void tg_softmax_s8_s16(const tg_softmax_params *p, const int8_t *input, int16_t *output) {
  for (int32_t r = 0; r < p->rows; ++r) softmax_row(p, input + r * p->depth, 16, output + r * p->depth);
}
