#ifndef TG_REQUANTIZE_H
#define TG_REQUANTIZE_H

#include <stdint.h>

/* rows x cols values; input rows start input_row_stride values apart (a region of a larger
 * tensor, for a patch tile), output rows follow each other. */
typedef struct {
  int32_t rows, cols, input_row_stride;
  int32_t input_zero_point, output_zero_point, multiplier, shift, out_min, out_max;
} tg_requantize_params;

/* Integer-to-integer rescaling, clamped to [out_min, out_max]: QUANTIZE between integer types
 * (tg_requantize_<input>_<output>, the pairs TFLM's QUANTIZE takes), and RELU/RELU6, which are
 * the int8 one with a clamp at the quantized zero (and six). */
void tg_requantize_s8_s8(const tg_requantize_params *p, const int8_t *input, int8_t *output);
void tg_requantize_s8_u8(const tg_requantize_params *p, const int8_t *input, uint8_t *output);
void tg_requantize_u8_s8(const tg_requantize_params *p, const uint8_t *input, int8_t *output);
void tg_requantize_s8_s16(const tg_requantize_params *p, const int8_t *input, int16_t *output);
void tg_requantize_s8_s32(const tg_requantize_params *p, const int8_t *input, int32_t *output);
void tg_requantize_s16_s8(const tg_requantize_params *p, const int16_t *input, int8_t *output);
void tg_requantize_s16_s16(const tg_requantize_params *p, const int16_t *input, int16_t *output);
void tg_requantize_s16_s32(const tg_requantize_params *p, const int16_t *input, int32_t *output);
void tg_requantize_s32_s8(const tg_requantize_params *p, const int32_t *input, int8_t *output);
void tg_requantize_s32_s16(const tg_requantize_params *p, const int32_t *input, int16_t *output);

#endif
