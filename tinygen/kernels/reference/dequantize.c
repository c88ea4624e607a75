#include "dequantize.h"

void tg_dequantize_8bit(const tg_dequantize_params *p, const void *input, float *output) {
  const int8_t *in_s8 = (const int8_t *)input;
  const uint8_t *in_u8 = (const uint8_t *)input;
  for (int32_t i = 0; i < p->size; ++i) {
    const int32_t q = p->input_unsigned ? in_u8[i] : in_s8[i];
    output[i] = (float)(p->scale * (q - p->zero_point));
  }
}
