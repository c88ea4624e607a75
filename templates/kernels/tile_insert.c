/* The last step of each patch in patch-based inference: its output tile joins the stage output. */
#include "tile_insert.h"

#include <string.h>

void tg_tile_insert(const tg_tile_insert_params *p, const void *tile, void *tensor) {
  const uint8_t *src = (const uint8_t *)tile;
  uint8_t *dst = (uint8_t *)tensor + p->dst_offset;
  for (int32_t r = 0; r < p->rows; ++r) {
    memmove(dst, src, (size_t)p->row_bytes);
    src += p->row_bytes;
    dst += p->dst_row_bytes;
  }
}
