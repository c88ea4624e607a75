#ifndef TG_TILE_COPY_H
#define TG_TILE_COPY_H

#include <stdint.h>

/* rows x cols pixels of pixel_bytes each, from one row-major buffer to another; each side has
 * its own strides, so a tile region can be copied into a larger tensor (the stage output), out
 * of a larger tile buffer, or into a slice of the channels (a concatenation). */
typedef struct {
  int32_t rows, cols, pixel_bytes;
  int32_t src_row_bytes, src_pixel_bytes;
  int32_t dst_row_bytes, dst_pixel_bytes;
} tg_tile_copy_params;

void tg_tile_copy(const tg_tile_copy_params *p, const void *src, void *dst);

/* A tile buffer set to one byte value (the frame of a PAD). */
typedef struct {
  int32_t bytes, value;
} tg_tile_fill_params;

void tg_tile_fill(const tg_tile_fill_params *p, void *dst);

#endif
