#ifndef TG_RESIZE_BILINEAR_H
#define TG_RESIZE_BILINEAR_H

#include <stdint.h>

/* Each output row has 4 entries in `rows`: the element offsets of its two source rows within an
 * image, then their weights in 1/1024ths; `cols` likewise per output column, offsets within a
 * row. */
typedef struct {
  int32_t batches, image_size, channels, out_h, out_w;
  const int32_t *rows;
  const int32_t *cols;
} tg_resize_bilinear_params;

void tg_resize_bilinear_s8(const tg_resize_bilinear_params *p, const int8_t *input, int8_t *output);

#endif
