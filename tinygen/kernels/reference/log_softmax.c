/* Reference int8 log softmax: per row, the log of the sum of exponentials of the differences to
 * the row maximum, in fixed point, subtracted from each difference. */
#include "log_softmax.h"

#include "tg_common.h"
#include "tg_fixedpoint.h"

enum { kDiffIntegerBits = 5, kSumIntegerBits = 12, kOutputIntegerBits = 4, kLogAccumIntegerBits = 6 };

/* log(x) as Q5 for a Q12 value x in [1, 4096), TFLM's log_x_for_x_greater_than_or_equal_to_1.
 * x = 2^(e + 1/4) * r with r in [sqrt(1/2), 1), so log(x) = e * log(2) + log(r * 2^(1/4)), the
 * last term a rational function of r - 2^(-1/4). x is normalised twice, by its own leading bit
 * and by that of x * sqrt(1/2): one of the two significands saturates, the smaller one is r.
 * The terms are summed in Q6, one integer bit more than the result, as the reference does. */
static int32_t log_of_sum(int32_t x) {
  const int32_t log_2 = 1488522236, fourth_root_of_half = 1805811301, sqrt_half = 1518500250; /* Q0 */
  const int32_t alpha_n = 117049297, alpha_d = 127690142, alpha_i = 1057819769, alpha_f = 638450708; /* Q0 */
  const int32_t quarter = tg_fp_mul_by_pot(1 << 29, -kLogAccumIntegerBits); /* Q6 */
  const int q6_from_integer = 31 - kLogAccumIntegerBits;

  const int32_t leading_zeros = tg_clz32((uint32_t)x);
  const int32_t r_a = tg_fp_mul_by_pot(tg_fp_mul(tg_fp_mul_by_pot(x, leading_zeros - 1), sqrt_half), 1);
  /* No overflow below: the exponents are small integers for x in [1, 4096). */
  const int32_t e_a = tg_fp_mul_by_pot(kSumIntegerBits - leading_zeros, q6_from_integer) + quarter;

  const int32_t headroom_b = tg_clz32((uint32_t)tg_fp_mul(x, sqrt_half)) - 1;
  const int32_t r_b = tg_fp_mul_by_pot(x, headroom_b);
  const int32_t e_b = tg_fp_mul_by_pot(kSumIntegerBits - headroom_b, q6_from_integer) - quarter;

  const int32_t r = tg_min_i32(r_a, r_b);
  const int32_t e = tg_max_i32(e_a, e_b);

  const int32_t p = tg_fp_rounding_half_sum(r, fourth_root_of_half);
  const int32_t q = 2 * (r - fourth_root_of_half);
  const int32_t q_squared = tg_fp_mul(q, q);
  const int32_t numerator = tg_fp_mul(q, r) + tg_fp_mul(tg_fp_mul(q, q_squared), alpha_n);
  const int32_t denominator_minus_one =
      tg_fp_mul(p, alpha_i + q + tg_fp_mul(alpha_d, q_squared)) + tg_fp_mul(alpha_f, q);
  const int32_t log_r = tg_fp_mul(tg_fp_mul_by_pot(numerator, -kLogAccumIntegerBits),
                                  tg_fp_one_over_one_plus_x(denominator_minus_one));
  return tg_fp_mul_by_pot(tg_fp_mul(e, log_2) + log_r, kLogAccumIntegerBits - kDiffIntegerBits);
}

/* input_scale * diff as Q5, for a difference not below diff_min (so it fits). */
static int32_t scaled_diff(const tg_log_softmax_params *p, int32_t diff) {
  return tg_requantize(diff, p->input_multiplier, p->input_left_shift);
}

static void log_softmax_row(const tg_log_softmax_params *p, const int8_t *input, int8_t *output) {
  int32_t max = INT8_MIN;
  for (int32_t c = 0; c < p->depth; ++c) max = tg_max_i32(max, input[c]);

  /* Each term is at most 1 (2^19 in Q12): fewer than 4096 of them cannot overflow. */
  int32_t sum = 0;
  for (int32_t c = 0; c < p->depth; ++c) {
    int32_t diff = input[c] - max;
    if (diff >= p->diff_min) {
      sum += tg_fp_mul_by_pot(tg_fp_exp_on_negative_values(scaled_diff(p, diff), kDiffIntegerBits), -kSumIntegerBits);
    }
  }
  const int32_t log_sum = log_of_sum(sum); /* >= 0: the maximum alone contributes exp(0) = 1 */

  /* Differences at or below this give the minimum: those below diff_min, which the sum left out,
   * and those that would leave Q5's range once log_sum is subtracted. */
  const int32_t lowest_diff = tg_max_i32(p->diff_min - 1, tg_requantize(log_sum + INT32_MIN, p->reverse_multiplier,
                                                                            p->reverse_shift));
  for (int32_t c = 0; c < p->depth; ++c) {
    int32_t diff = input[c] - max;
    int32_t out = INT8_MIN;
    if (diff > lowest_diff) {
      int32_t log_value = scaled_diff(p, diff) - log_sum; /* Q5, <= 0 */
      out = tg_rounding_divide_by_pot(log_value, 31 - kDiffIntegerBits - kOutputIntegerBits) + INT8_MAX;
      out = tg_clamp_i32(out, INT8_MIN, INT8_MAX);
    }
    output[c] = (int8_t)out;
  }
}

void tg_log_softmax_s8(const tg_log_softmax_params *p, const int8_t *input, int8_t *output) {
  for (int32_t r = 0; r < p->rows; ++r) log_softmax_row(p, input + r * p->depth, output + r * p->depth);
}
