/* One body for int8 and int16 elements. */
#include "max_pool2d.h"

#include "tg_common.h"

#define TG_MAX_POOL2D_DEFINE(suffix, elem_t, lowest)                                                        \
  static elem_t maximum_##suffix(const tg_pool2d_params *p, const elem_t *image, tg_pool2d_window w,        \
                                 int32_t c) {                                                               \
    int32_t best = lowest;                                                                                  \
    for (int32_t y = w.y0; y < w.y1; ++y) {                                                                 \
      for (int32_t x = w.x0; x < w.x1; ++x) best = tg_max_i32(best, image[(y * p->in_w + x) * p->channels + c]); \
    }                                                                                                       \
    return (elem_t)tg_clamp_i32(best, p->act_min, p->act_max);                                              \
  }                                                                                                         \
                                                                                                            \
  void tg_max_pool2d_##suffix(const tg_pool2d_params *p, const elem_t *input, elem_t *output) {             \
    TG_POOL2D_FOR_EACH_OUTPUT(p, elem_t, input, output, maximum_##suffix);                                  \
  }

TG_MAX_POOL2D_DEFINE(s8, int8_t, INT8_MIN)
TG_MAX_POOL2D_DEFINE(s16, int16_t, INT16_MIN)
