#ifndef TG_REQUANTIZE_H
#define TG_REQUANTIZE_H

#include <stdint.h>

/* rows x cols values; input rows start input_row_stride values apart (a region of a larger
 * tensor, for a patch tile), output rows follow each other. */
typedef struct {
  int32_t rows, cols, input_row_stride;
  int32_t input_unsigned, output_unsigned; /* uint8 rather than int8 */
  int32_t input_zero_point, output_zero_point, multiplier, shift, out_min, out_max;
} tg_requantize_params;

/* 8-bit to 8-bit rescaling, clamped to [out_min, out_max]: QUANTIZE between integer types, and
 * RELU/RELU6, which are this with a clamp at the quantized zero (and six). */
void tg_requantize_8bit(const tg_requantize_params *p, const void *input, void *output);
/* The same from int16 to int8 or int32 (QUANTIZE int16 -> int8 / int32; the unsigned flags unused). */
void tg_requantize_s16_s8(const tg_requantize_params *p, const int16_t *input, int8_t *output);
void tg_requantize_s16_s32(const tg_requantize_params *p, const int16_t *input, int32_t *output);

#endif
