/* TFLM rescales negative inputs by |alpha| and flips the sign afterwards, so that the fixed-point
 * multiplier stays non-negative; the rounding this implies is kept. int8 and int16 elements run
 * the same arithmetic, clamped to their own range. */
#include "leaky_relu.h"

#include "tg_common.h"

static int32_t leaky_relu(const tg_leaky_relu_params *p, int32_t q) {
  const int32_t x = q - p->input_zero_point;
  int32_t y;
  if (x >= 0) {
    y = tg_requantize(x, p->identity_multiplier, p->identity_shift);
  } else {
    y = tg_requantize(x, p->alpha_multiplier, p->alpha_shift);
    if (p->alpha_negative) y = -y;
  }
  return y + p->output_zero_point;
}

#define TG_LEAKY_RELU_DEFINE(suffix, elem_t, lo, hi)                                                        \
  void tg_leaky_relu_##suffix(const tg_leaky_relu_params *p, const elem_t *input, elem_t *output) {         \
    for (int32_t i = 0; i < p->size; ++i) output[i] = (elem_t)tg_clamp_i32(leaky_relu(p, input[i]), lo, hi);\
  }

TG_LEAKY_RELU_DEFINE(s8, int8_t, INT8_MIN, INT8_MAX)
TG_LEAKY_RELU_DEFINE(s16, int16_t, INT16_MIN, INT16_MAX)
