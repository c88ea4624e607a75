#include "concatenation.h"

#include <string.h>

void tg_concatenation_s8(const tg_concatenation_params *p, int8_t *output) {
  for (int32_t row = 0; row < p->outer; ++row) {
    for (int32_t i = 0; i < p->count; ++i) {
      memcpy(output, p->inputs[i] + row * p->block[i], (size_t)p->block[i]);
      output += p->block[i];
    }
  }
}
