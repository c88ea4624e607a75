#ifndef TG_SPACE_TO_BATCH_H
#define TG_SPACE_TO_BATCH_H

#include <stdint.h>

/* NHWC (3-D inputs have in_w = out_w = block_w = 1). Output batch b holds, for input batch
 * b % in_batch, the pixels at block position (b / in_batch) of the padded input. */
typedef struct {
  int32_t in_batch, in_h, in_w, out_batch, out_h, out_w;
  int32_t block_h, block_w, pad_top, pad_left;
  int32_t pixel_bytes; /* channels times the element size */
} tg_space_to_batch_params;

void tg_space_to_batch(const tg_space_to_batch_params *p, const void *input, void *output);

#endif
