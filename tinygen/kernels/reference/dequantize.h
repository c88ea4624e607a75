#ifndef TG_DEQUANTIZE_H
#define TG_DEQUANTIZE_H

#include <stdint.h>

typedef struct {
  int32_t size;
  int32_t input_unsigned; /* uint8 rather than int8 */
  int32_t zero_point;
  double scale; /* TFLM widens the float scale and multiplies in double */
} tg_dequantize_params;

/* int8 or uint8 to float32: x = scale * (q - zero_point). */
void tg_dequantize_8bit(const tg_dequantize_params *p, const void *input, float *output);

#endif
