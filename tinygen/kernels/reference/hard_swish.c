/* The reference computes in int16 throughout, including its wrap-around and saturation points;
 * values are carried in int32 here and brought back to 16 bits exactly where it does. */
#include "hard_swish.h"

#include "tg_common.h"

static int32_t wrap_i16(int32_t x) { return (int32_t)(((uint32_t)x & 0xFFFFu) ^ 0x8000u) - 0x8000; }

static int32_t saturate_i16(int64_t x) { return (int32_t)(x > INT16_MAX ? INT16_MAX : x < INT16_MIN ? INT16_MIN : x); }

/* High 16 bits of 2*a*b, rounded to nearest (round == 1) or towards zero (round == 0). */
static int32_t doubling_high_mul_i16(int32_t a, int32_t b, int round) {
  if (a == INT16_MIN && b == INT16_MIN) return INT16_MAX;
  const int32_t ab = a * b;
  const int32_t nudge = round ? (ab >= 0 ? (1 << 14) : 1 - (1 << 14)) : 0;
  return (ab + nudge) / (1 << 15);
}

static int32_t rounding_divide_by_pot_i16(int32_t x, int exponent) {
  /* The 16-bit mask is all ones once the exponent reaches 16. */
  const int32_t mask = exponent >= 16 ? -1 : (1 << exponent) - 1;
  const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> exponent) + ((x & mask) > threshold ? 1 : 0);
}

static int32_t reluish(const tg_hard_swish_params *p, int32_t hires_input) {
  /* Shift left in two steps so that saturation can only happen in the last one. */
  int32_t r = hires_input;
  if (p->reluish_exponent > 0) r = saturate_i16((int64_t)r * ((int64_t)1 << (p->reluish_exponent - 1)));
  r = doubling_high_mul_i16(r, p->reluish_multiplier, 1);
  if (p->reluish_exponent > 0) r = saturate_i16((int64_t)r * 2);
  if (p->reluish_exponent < 0) r = rounding_divide_by_pot_i16(r, -p->reluish_exponent);
  return (r + (1 << 15)) >> 1; /* from [-1, 1] to [0, 1] in Q15 */
}

void tg_hard_swish_s8(const tg_hard_swish_params *p, const int8_t *input, int8_t *output) {
  for (int32_t i = 0; i < p->size; ++i) {
    const int32_t hires_input = (input[i] - p->input_zero_point) * (1 << 7);
    const int32_t preshift_output = doubling_high_mul_i16(hires_input, p->output_multiplier, 1);
    const int32_t product = doubling_high_mul_i16(reluish(p, hires_input), preshift_output, 0);
    const int32_t out = wrap_i16(rounding_divide_by_pot_i16(product, -p->output_exponent) + p->output_zero_point);
    output[i] = (int8_t)tg_clamp_i32(out, -128, 127);
  }
}
