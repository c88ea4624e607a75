/* One body for int8 and int16 elements: TFLM sums both in int32 and requantizes once. */
#include "mean.h"

#include "tg_common.h"

#define TG_MEAN_DEFINE(suffix, elem_t, out_min, out_max)                                                    \
  static int32_t sum_reduced_##suffix(const tg_mean_params *p, const elem_t *in) {                         \
    int32_t sum = 0;                                                                                        \
    for (int32_t i = 0; i < p->reduced_count[0]; ++i) {                                                     \
      const elem_t *a = in + i * p->reduced_stride[0];                                                      \
      for (int32_t j = 0; j < p->reduced_count[1]; ++j) {                                                   \
        const elem_t *b = a + j * p->reduced_stride[1];                                                     \
        for (int32_t k = 0; k < p->reduced_count[2]; ++k) sum += b[k * p->reduced_stride[2]];               \
      }                                                                                                     \
    }                                                                                                       \
    return sum;                                                                                             \
  }                                                                                                         \
                                                                                                            \
  void tg_mean_##suffix(const tg_mean_params *p, const elem_t *input, elem_t *output) {                     \
    for (int32_t i = 0; i < p->kept_count[0]; ++i) {                                                        \
      const elem_t *a = input + i * p->kept_stride[0];                                                      \
      for (int32_t j = 0; j < p->kept_count[1]; ++j) {                                                      \
        const elem_t *b = a + j * p->kept_stride[1];                                                        \
        for (int32_t k = 0; k < p->kept_count[2]; ++k) {                                                    \
          const int32_t sum = sum_reduced_##suffix(p, b + k * p->kept_stride[2]) + p->sum_offset;           \
          const int32_t q = tg_requantize(sum, p->multiplier, p->shift) + p->output_offset;                 \
          *output++ = (elem_t)tg_clamp_i32(q, out_min, out_max);                                            \
        }                                                                                                   \
      }                                                                                                     \
    }                                                                                                       \
  }

TG_MEAN_DEFINE(s8, int8_t, INT8_MIN, INT8_MAX)
TG_MEAN_DEFINE(s16, int16_t, INT16_MIN, INT16_MAX)
