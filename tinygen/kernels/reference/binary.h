#ifndef TG_BINARY_H
#define TG_BINARY_H

#include <stdint.h>

#include "tg_broadcast.h"

typedef enum { TG_BINARY_ADD, TG_BINARY_SUB, TG_BINARY_MUL } tg_binary_op;

typedef struct {
  int32_t op; /* tg_binary_op */
  const tg_broadcast_walk *walk;
  /* ADD/SUB only: both inputs are first rescaled to a common scale at 2^left_shift resolution
   (20 for int8, 15 for int16). */
  int32_t left_shift, a_multiplier, a_shift, b_multiplier, b_shift;
  int32_t multiplier, shift; /* to the output scale */
  int32_t a_offset, b_offset, output_offset, act_min, act_max;
} tg_binary_params;

/* Element-wise ADD, SUB or MUL with numpy broadcasting, of int8 or of int16 tensors. */
void tg_binary_s8(const tg_binary_params *p, const int8_t *a, const int8_t *b, int8_t *output);
void tg_binary_s16(const tg_binary_params *p, const int16_t *a, const int16_t *b, int16_t *output);

#endif
