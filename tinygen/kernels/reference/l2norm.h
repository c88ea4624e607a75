#ifndef TG_L2NORM_H
#define TG_L2NORM_H

#include <stdint.h>

typedef struct {
  int32_t rows, depth; /* normalized along the innermost dim, of size depth */
  int32_t input_zero_point;
} tg_l2norm_params;

/* x / ||x|| per row. As in TFLM, the output is always in units of 1/128 with zero point 0,
 * whatever the output tensor's quantization says. */
void tg_l2norm_s8(const tg_l2norm_params *p, const int8_t *input, int8_t *output);

#endif
