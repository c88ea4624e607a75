#ifndef TG_FULLY_CONNECTED_H
#define TG_FULLY_CONNECTED_H

#include <stdint.h>

typedef struct {
  int32_t batches, depth, units;
  int32_t input_offset, output_offset, act_min, act_max;
  const int32_t *multiplier, *shift; /* per unit (a per-tensor model repeats its one value) */
  const int8_t *weights;             /* [units][depth] */
  const int32_t *bias;               /* [units] or NULL */
} tg_fully_connected_params;

void tg_fully_connected_s8(const tg_fully_connected_params *p, const int8_t *input, int8_t *output);

#endif
