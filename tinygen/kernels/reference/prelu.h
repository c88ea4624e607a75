#ifndef TG_PRELU_H
#define TG_PRELU_H

#include <stdint.h>

#include "tg_broadcast.h"

typedef struct {
  const tg_broadcast_walk *walk; /* a: the input, b: alpha */
  int32_t input_offset, alpha_offset, output_offset;
  int32_t identity_multiplier, identity_shift; /* input_scale / output_scale */
  int32_t alpha_multiplier, alpha_shift;       /* input_scale * alpha_scale / output_scale */
} tg_prelu_params;

/* x >= 0 ? x : alpha * x, with alpha broadcast against the int8 input. */
void tg_prelu_s8(const tg_prelu_params *p, const int8_t *input, const int8_t *alpha, int8_t *output);

#endif
