#ifndef TG_TILE_INSERT_H
#define TG_TILE_INSERT_H

#include <stdint.h>

/* A dense tile (rows x row_bytes) copied into a larger row-major tensor at (y0, x0). */
typedef struct {
  int32_t rows, row_bytes;  /* the tile: rows, and width * channels * element size */
  int32_t dst_row_bytes;    /* a row of the destination tensor */
  int32_t dst_offset;       /* (y0 * width + x0) * channels * element size */
} tg_tile_insert_params;

void tg_tile_insert(const tg_tile_insert_params *p, const void *tile, void *tensor);

#endif
