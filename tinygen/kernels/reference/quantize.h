#ifndef TG_QUANTIZE_H
#define TG_QUANTIZE_H

#include <stdint.h>

/* rows x cols values; input rows start input_row_stride values apart (a region of a larger
 * tensor, for a patch tile), output rows follow each other. */
typedef struct {
  int32_t rows, cols, input_row_stride;
  float scale;
  int32_t zero_point;
} tg_quantize_params;

/* float32 to int8 or int16: q = round(x / scale) + zero_point, saturated. */
void tg_quantize_f32_s8(const tg_quantize_params *p, const float *input, int8_t *output);
void tg_quantize_f32_s16(const tg_quantize_params *p, const float *input, int16_t *output);

#endif
