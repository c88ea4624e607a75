#ifndef TG_GATHER_H
#define TG_GATHER_H

#include <stdint.h>

/* The output is dims[0] x ... x dims[4] contiguous blocks of block_bytes. The block at output
 * index (i0, ..., i4) starts in the input at t0[i0] + ... + t4[i4] bytes, where the tables
 * t0..t4 lie one after another in `offsets` (dims[0] + ... + dims[4] entries). */
typedef struct {
  int32_t dims[5];
  const int32_t *offsets;
  int32_t block_bytes;
} tg_gather_params;

void tg_gather(const tg_gather_params *p, const void *input, void *output);

#endif
