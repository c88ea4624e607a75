#ifndef TG_SQUARED_DIFFERENCE_H
#define TG_SQUARED_DIFFERENCE_H

#include <stdint.h>

#include "tg_broadcast.h"

typedef struct {
  const tg_broadcast_walk *walk;
  /* Both inputs go to a common scale (half the larger one) at 2^left_shift resolution; the
   * square of their difference then goes to the output scale. */
  int32_t left_shift, a_offset, b_offset, a_multiplier, a_shift, b_multiplier, b_shift;
  int32_t multiplier, shift, output_offset;
} tg_squared_difference_params;

/* (a - b)^2 on int8 tensors with numpy broadcasting. */
void tg_squared_difference_s8(const tg_squared_difference_params *p, const int8_t *a, const int8_t *b,
                              int8_t *output);

#endif
