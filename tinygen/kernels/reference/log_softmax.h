#ifndef TG_LOG_SOFTMAX_H
#define TG_LOG_SOFTMAX_H

#include <stdint.h>

typedef struct {
  int32_t rows, depth;        /* log softmax runs over the last axis: rows = size / depth */
  int32_t input_multiplier;   /* input_scale as a Q31 significand ... */
  int32_t input_left_shift;   /* ... and its (positive) exponent, scaled to Q5 */
  int32_t reverse_multiplier; /* the reciprocal of that scaling, from Q5 back to input steps ... */
  int32_t reverse_shift;      /* ... and its (non-positive) exponent */
  int32_t diff_min;           /* differences from the row maximum below this give the minimum */
} tg_log_softmax_params;

/* int8 input, int8 output with scale 16/256 and zero point 127; at most 4095 values per row. */
void tg_log_softmax_s8(const tg_log_softmax_params *p, const int8_t *input, int8_t *output);

#endif
