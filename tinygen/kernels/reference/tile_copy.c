/* Moving tile regions in patch-based inference. */
#include "tile_copy.h"

#include <string.h>

void tg_tile_copy(const tg_tile_copy_params *p, const void *src, void *dst) {
  const uint8_t *from = (const uint8_t *)src;
  uint8_t *to = (uint8_t *)dst;
  const int dense = p->src_pixel_bytes == p->pixel_bytes && p->dst_pixel_bytes == p->pixel_bytes;
  for (int32_t r = 0; r < p->rows; ++r) {
    if (dense) {
      memmove(to, from, (size_t)p->cols * (size_t)p->pixel_bytes);
    } else {
      for (int32_t c = 0; c < p->cols; ++c) {
        memmove(to + c * p->dst_pixel_bytes, from + c * p->src_pixel_bytes, (size_t)p->pixel_bytes);
      }
    }
    from += p->src_row_bytes;
    to += p->dst_row_bytes;
  }
}

void tg_tile_fill(const tg_tile_fill_params *p, void *dst) {
  memset(dst, p->value, (size_t)p->bytes);
}
