/* Values are copied unchanged, so one byte-wise body serves every element type. */
#include "concatenation.h"

#include <string.h>

void tg_concatenation(const tg_concatenation_params *p, void *output) {
  uint8_t *out = (uint8_t *)output;
  for (int32_t row = 0; row < p->outer; ++row) {
    for (int32_t i = 0; i < p->count; ++i) {
      memcpy(out, (const uint8_t *)p->inputs[i] + row * p->block[i], (size_t)p->block[i]);
      out += p->block[i];
    }
  }
}
