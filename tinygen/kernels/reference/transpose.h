#ifndef TG_TRANSPOSE_H
#define TG_TRANSPOSE_H

#include <stdint.h>

/* Output axes (leading 1s for lower ranks) and, for each, the input stride in elements of the
 * input axis it comes from. */
typedef struct {
  int32_t out_dims[6], in_stride[6];
} tg_transpose_params;

void tg_transpose_s8(const tg_transpose_params *p, const int8_t *input, int8_t *output);

#endif
