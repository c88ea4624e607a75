#ifndef TG_FULLY_CONNECTED_H
#define TG_FULLY_CONNECTED_H

#include <stdint.h>

typedef struct {
  int32_t batches, depth, units;
  int32_t input_offset, output_offset, act_min, act_max;
  const int32_t *multiplier, *shift; /* per unit (a per-tensor model repeats its one value) */
  const int8_t *weights;             /* [units][depth] */
  const void *bias;                  /* [units] or NULL: int32_t, int64_t for tg_fully_connected_s16 */
} tg_fully_connected_params;

/* int8 activations (int32 bias), or 16x8: int16 activations with int64 bias (_s16) or int32 bias (_s16_b32). */
void tg_fully_connected_s8(const tg_fully_connected_params *p, const int8_t *input, int8_t *output);
void tg_fully_connected_s16(const tg_fully_connected_params *p, const int16_t *input, int16_t *output);
void tg_fully_connected_s16_b32(const tg_fully_connected_params *p, const int16_t *input, int16_t *output);

#endif
