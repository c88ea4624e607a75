#include "requantize.h"

#include "tg_common.h"

void tg_requantize_8bit(const tg_requantize_params *p, const void *input, void *output) {
  const int8_t *in_s8 = (const int8_t *)input;
  const uint8_t *in_u8 = (const uint8_t *)input;
  for (int32_t i = 0; i < p->size; ++i) {
    const int32_t q = p->input_unsigned ? in_u8[i] : in_s8[i];
    const int32_t out = tg_clamp_i32(
        tg_requantize(q - p->input_zero_point, p->multiplier, p->shift) + p->output_zero_point, p->out_min,
        p->out_max);
    if (p->output_unsigned) {
      ((uint8_t *)output)[i] = (uint8_t)out;
    } else {
      ((int8_t *)output)[i] = (int8_t)out;
    }
  }
}
