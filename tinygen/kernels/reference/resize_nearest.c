#include "resize_nearest.h"

#include <string.h>

void tg_resize_nearest_s8(const tg_resize_nearest_params *p, const int8_t *input, int8_t *output) {
  const int32_t row = p->in_w * p->channels;
  for (int32_t b = 0; b < p->batches; ++b) {
    const int8_t *image = input + b * p->in_h * row;
    for (int32_t y = 0; y < p->out_h; ++y) {
      const int8_t *source_row = image + p->source_y[y] * row;
      for (int32_t x = 0; x < p->out_w; ++x) {
        memcpy(output, source_row + p->source_x[x] * p->channels, (size_t)p->channels);
        output += p->channels;
      }
    }
  }
}
