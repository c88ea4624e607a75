#ifndef TG_SPLIT_H
#define TG_SPLIT_H

#include <stdint.h>

#define TG_SPLIT_MAX_OUTPUTS 32

/* The input is `outer` rows, each the concatenation of one block for every output in turn. */
typedef struct {
  int32_t outer, count;
  int32_t block_bytes[TG_SPLIT_MAX_OUTPUTS]; /* what each output takes from each row */
  void *outputs[TG_SPLIT_MAX_OUTPUTS];
} tg_split_params;

void tg_split(const tg_split_params *p, const void *input);

#endif
