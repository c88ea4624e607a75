#ifndef TG_REDUCE_MAX_H
#define TG_REDUCE_MAX_H

#include <stdint.h>

/* The input seen as runs of kept axes (the output's, outer first) and runs of reduced axes;
 * unused runs have count 1. Strides are in elements of the input. */
typedef struct {
  int32_t kept_count[3], kept_stride[3];
  int32_t reduced_count[3], reduced_stride[3];
} tg_reduce_max_params;

/* Maximum of the raw int8 values over the reduced axes (input and output share quantization). */
void tg_reduce_max_s8(const tg_reduce_max_params *p, const int8_t *input, int8_t *output);

#endif
