#ifndef TG_STRIDED_SLICE_H
#define TG_STRIDED_SLICE_H

#include <stdint.h>

/* A strided copy over up to 5 dimensions (lower ranks padded with leading 1s). */
typedef struct {
  int32_t in_dims[5];
  int32_t start[5], step[5], count[5];
  int32_t element_bytes;
} tg_strided_slice_params;

void tg_strided_slice(const tg_strided_slice_params *p, const void *input, void *output);

#endif
