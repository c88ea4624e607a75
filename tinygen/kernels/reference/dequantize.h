#ifndef TG_DEQUANTIZE_H
#define TG_DEQUANTIZE_H

#include <stdint.h>

typedef struct {
  int32_t size;
  int32_t zero_point;
  double scale; /* TFLM widens the float scale and multiplies in double */
} tg_dequantize_params;

/* int8, uint8 or int16 to float32: x = scale * (q - zero_point). */
void tg_dequantize_s8(const tg_dequantize_params *p, const int8_t *input, float *output);
void tg_dequantize_u8(const tg_dequantize_params *p, const uint8_t *input, float *output);
void tg_dequantize_s16(const tg_dequantize_params *p, const int16_t *input, float *output);

#endif
