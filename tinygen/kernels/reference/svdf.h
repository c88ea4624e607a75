#ifndef TG_SVDF_H
#define TG_SVDF_H

#include <stdint.h>

/* SVDF (singular value decomposition filter), int8 input and output, TFLite Micro's integer
 * arithmetic. Each of the `filters` filters keeps the last `memory` values of its feature
 * projection in the state, [batches][filters][memory], oldest first; an invoke shifts every
 * filter's memory by one, writes the newest value (input . feature weights, rescaled to the
 * state's scale, clamped to the state's type, plus its zero point) and sums memory x time
 * weights over the `rank` filters of each unit. The state is int16 (time weights int16) or int8
 * (time weights int8). TFLM applies no fused activation here: only the int8 clamp. */
typedef struct {
  int32_t batches, input_size, filters, units, rank, memory;
  int32_t input_offset;                     /* -input zero point */
  int32_t state_zero_point;
  int32_t feature_multiplier, feature_shift; /* input x feature weights -> state */
  int32_t output_multiplier, output_shift;   /* state x time weights -> output */
  int32_t output_offset;
  const int8_t *weights_feature;            /* [filters][input_size] */
  const void *weights_time;                 /* [filters][memory], the state's type */
  const int32_t *bias;                      /* [units] or NULL */
} tg_svdf_params;

void tg_svdf_s8_s16(const tg_svdf_params *p, const int8_t *input, int16_t *state, int8_t *output);
void tg_svdf_s8_s8(const tg_svdf_params *p, const int8_t *input, int8_t *state, int8_t *output);

#endif
