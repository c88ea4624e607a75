#include "reduce_max.h"

static int8_t max_reduced(const tg_reduce_max_params *p, const int8_t *in) {
  int8_t best = INT8_MIN;
  for (int32_t i = 0; i < p->reduced_count[0]; ++i) {
    const int8_t *a = in + i * p->reduced_stride[0];
    for (int32_t j = 0; j < p->reduced_count[1]; ++j) {
      const int8_t *b = a + j * p->reduced_stride[1];
      for (int32_t k = 0; k < p->reduced_count[2]; ++k) {
        const int8_t v = b[k * p->reduced_stride[2]];
        if (v > best) best = v;
      }
    }
  }
  return best;
}

void tg_reduce_max_s8(const tg_reduce_max_params *p, const int8_t *input, int8_t *output) {
  for (int32_t i = 0; i < p->kept_count[0]; ++i) {
    const int8_t *a = input + i * p->kept_stride[0];
    for (int32_t j = 0; j < p->kept_count[1]; ++j) {
      const int8_t *b = a + j * p->kept_stride[1];
      for (int32_t k = 0; k < p->kept_count[2]; ++k) *output++ = max_reduced(p, b + k * p->kept_stride[2]);
    }
  }
}
