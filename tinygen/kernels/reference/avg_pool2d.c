/* One body for int8 and int16 elements: TFLM averages both in int32 the same way. */
#include "avg_pool2d.h"

#include "tg_common.h"

/* The window's in-bounds count is never zero: TFLM's padding never pushes a whole window out. */
#define TG_AVG_POOL2D_DEFINE(suffix, elem_t)                                                                \
  static elem_t average_##suffix(const tg_pool2d_params *p, const elem_t *image, tg_pool2d_window w,        \
                                 int32_t c) {                                                               \
    int32_t sum = 0;                                                                                        \
    for (int32_t y = w.y0; y < w.y1; ++y) {                                                                 \
      for (int32_t x = w.x0; x < w.x1; ++x) sum += image[(y * p->in_w + x) * p->channels + c];              \
    }                                                                                                       \
    const int32_t count = (w.y1 - w.y0) * (w.x1 - w.x0);                                                    \
    /* C division truncates, so adding half the divisor away from zero rounds half away from zero. */      \
    const int32_t mean = sum > 0 ? (sum + count / 2) / count : (sum - count / 2) / count;                   \
    return (elem_t)tg_clamp_i32(mean, p->act_min, p->act_max);                                              \
  }                                                                                                         \
                                                                                                            \
  void tg_avg_pool2d_##suffix(const tg_pool2d_params *p, const elem_t *input, elem_t *output) {             \
    TG_POOL2D_FOR_EACH_OUTPUT(p, elem_t, input, output, average_##suffix);                                  \
  }

TG_AVG_POOL2D_DEFINE(s8, int8_t)
TG_AVG_POOL2D_DEFINE(s16, int16_t)
