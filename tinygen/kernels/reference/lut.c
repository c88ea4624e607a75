#include "lut.h"

void tg_lut_s8(const tg_lut_params *p, const int8_t *input, int8_t *output) {
  for (int32_t i = 0; i < p->size; ++i) output[i] = p->table[input[i] + 128];
}
