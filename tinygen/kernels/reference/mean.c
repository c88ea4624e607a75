#include "mean.h"

#include "tg_common.h"

static int32_t sum_reduced(const tg_mean_params *p, const int8_t *in) {
  int32_t sum = 0;
  for (int32_t i = 0; i < p->reduced_count[0]; ++i) {
    const int8_t *a = in + i * p->reduced_stride[0];
    for (int32_t j = 0; j < p->reduced_count[1]; ++j) {
      const int8_t *b = a + j * p->reduced_stride[1];
      for (int32_t k = 0; k < p->reduced_count[2]; ++k) sum += b[k * p->reduced_stride[2]];
    }
  }
  return sum;
}

void tg_mean_s8(const tg_mean_params *p, const int8_t *input, int8_t *output) {
  for (int32_t i = 0; i < p->kept_count[0]; ++i) {
    const int8_t *a = input + i * p->kept_stride[0];
    for (int32_t j = 0; j < p->kept_count[1]; ++j) {
      const int8_t *b = a + j * p->kept_stride[1];
      for (int32_t k = 0; k < p->kept_count[2]; ++k) {
        const int32_t sum = sum_reduced(p, b + k * p->kept_stride[2]) + p->sum_offset;
        const int32_t q = tg_requantize(sum, p->multiplier, p->shift) + p->output_offset;
        *output++ = (int8_t)tg_clamp_i32(q, INT8_MIN, INT8_MAX);
      }
    }
  }
}
