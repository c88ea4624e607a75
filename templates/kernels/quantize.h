#ifndef TG_QUANTIZE_H
#define TG_QUANTIZE_H

#include <stdint.h>

typedef struct {
  int32_t size;
  float scale;
  int32_t zero_point;
} tg_quantize_params;

/* float32 to int8: q = round(x / scale) + zero_point, saturated. */
void tg_quantize_f32_s8(const tg_quantize_params *p, const float *input, int8_t *output);

#endif
