#include "split.h"

#include <string.h>

void tg_split(const tg_split_params *p, const void *input) {
  const uint8_t *in = (const uint8_t *)input;
  for (int32_t row = 0; row < p->outer; ++row) {
    for (int32_t i = 0; i < p->count; ++i) {
      const int32_t block = p->block_bytes[i];
      memcpy((uint8_t *)p->outputs[i] + row * block, in, (size_t)block);
      in += block;
    }
  }
}
