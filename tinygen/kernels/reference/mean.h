#ifndef TG_MEAN_H
#define TG_MEAN_H

#include <stdint.h>

/* The input seen as runs of kept axes (the output's, outer first) and runs of reduced axes;
 * unused runs have count 1. Strides are in elements of the input. */
typedef struct {
  int32_t kept_count[3], kept_stride[3];
  int32_t reduced_count[3], reduced_stride[3];
  int32_t sum_offset; /* -input_zero_point * elements averaged */
  int32_t multiplier, shift, output_offset;
} tg_mean_params;

/* MEAN and SUM (sum_offset, multiplier and shift tell them apart) of int8 or int16 elements. */
void tg_mean_s8(const tg_mean_params *p, const int8_t *input, int8_t *output);
void tg_mean_s16(const tg_mean_params *p, const int16_t *input, int16_t *output);

#endif
