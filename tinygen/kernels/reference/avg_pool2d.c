#include "avg_pool2d.h"

#include "tg_common.h"

/* The window's in-bounds count is never zero: TFLM's padding never pushes a whole window out. */
static int8_t average(const tg_pool2d_params *p, const int8_t *image, tg_pool2d_window w, int32_t c) {
  int32_t sum = 0;
  for (int32_t y = w.y0; y < w.y1; ++y) {
    for (int32_t x = w.x0; x < w.x1; ++x) sum += image[(y * p->in_w + x) * p->channels + c];
  }
  const int32_t count = (w.y1 - w.y0) * (w.x1 - w.x0);
  /* C division truncates, so adding half the divisor away from zero rounds half away from zero. */
  const int32_t mean = sum > 0 ? (sum + count / 2) / count : (sum - count / 2) / count;
  return (int8_t)tg_clamp_i32(mean, p->act_min, p->act_max);
}

void tg_avg_pool2d_s8(const tg_pool2d_params *p, const int8_t *input, int8_t *output) {
  for (int32_t b = 0; b < p->batches; ++b) {
    const int8_t *image = input + b * p->in_h * p->in_w * p->channels;
    for (int32_t oy = 0; oy < p->out_h; ++oy) {
      for (int32_t ox = 0; ox < p->out_w; ++ox) {
        const tg_pool2d_window w = tg_pool2d_clip(p, oy, ox);
        for (int32_t c = 0; c < p->channels; ++c) *output++ = average(p, image, w, c);
      }
    }
  }
}
