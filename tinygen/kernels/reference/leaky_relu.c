/* TFLM rescales negative inputs by |alpha| and flips the sign afterwards, so that the fixed-point
 * multiplier stays non-negative; the rounding this implies is kept. */
#include "leaky_relu.h"

#include "tg_common.h"

void tg_leaky_relu_s8(const tg_leaky_relu_params *p, const int8_t *input, int8_t *output) {
  for (int32_t i = 0; i < p->size; ++i) {
    const int32_t x = input[i] - p->input_zero_point;
    int32_t y;
    if (x >= 0) {
      y = tg_requantize(x, p->identity_multiplier, p->identity_shift);
    } else {
      y = tg_requantize(x, p->alpha_multiplier, p->alpha_shift);
      if (p->alpha_negative) y = -y;
    }
    output[i] = (int8_t)tg_clamp_i32(y + p->output_zero_point, -128, 127);
  }
}
