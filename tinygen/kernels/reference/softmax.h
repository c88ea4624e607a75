#ifndef TG_SOFTMAX_H
#define TG_SOFTMAX_H

#include <stdint.h>

typedef struct {
  int32_t rows, depth;      /* softmax runs over the last axis: rows = size / depth */
  int32_t input_multiplier; /* beta * input_scale as a Q31 significand ... */
  int32_t input_left_shift; /* ... and its (non-negative) exponent, scaled to Q5 */
  int32_t diff_min;         /* differences from the row maximum below this give exactly 0 */
} tg_softmax_params;

/* int8 input, int8 output with scale 1/256 and zero point -128. */
void tg_softmax_s8(const tg_softmax_params *p, const int8_t *input, int8_t *output);
/* int8 input, int16 output with scale 1/65536 and zero point -32768. */
void tg_softmax_s8_s16(const tg_softmax_params *p, const int8_t *input, int16_t *output);

#endif
