#ifndef TG_RESIZE_NEAREST_H
#define TG_RESIZE_NEAREST_H

#include <stdint.h>

typedef struct {
  int32_t batches, in_h, in_w, channels, out_h, out_w;
  const int32_t *source_y; /* [out_h]: the input row each output row copies */
  const int32_t *source_x; /* [out_w]: the input column each output column copies */
} tg_resize_nearest_params;

void tg_resize_nearest_s8(const tg_resize_nearest_params *p, const int8_t *input, int8_t *output);

#endif
