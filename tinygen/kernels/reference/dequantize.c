/* One body for every input type. */
#include "dequantize.h"

#define TG_DEQUANTIZE_DEFINE(suffix, in_t)                                                                  \
  void tg_dequantize_##suffix(const tg_dequantize_params *p, const in_t *input, float *output) {            \
    for (int32_t i = 0; i < p->size; ++i) output[i] = (float)(p->scale * (input[i] - p->zero_point));       \
  }

TG_DEQUANTIZE_DEFINE(s8, int8_t)
TG_DEQUANTIZE_DEFINE(u8, uint8_t)
TG_DEQUANTIZE_DEFINE(s16, int16_t)
