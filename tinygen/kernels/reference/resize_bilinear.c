#include "resize_bilinear.h"

/* The weights lie in [-512, 1536] and pair up to 1024, so with int8 values every sum below stays
 * under 2^30: int32 gives the exact result TFLM computes in int64. */
static int8_t blend(int32_t tl, int32_t tr, int32_t bl, int32_t br, const int32_t *row, const int32_t *col) {
  const int32_t sum = tl * row[2] * col[2] + bl * row[3] * col[2] + tr * row[2] * col[3] + br * row[3] * col[3];
  const int32_t half = 1 << 19;
  return (int8_t)((sum + (sum > 0 ? half : -half)) / (1 << 20));
}

void tg_resize_bilinear_s8(const tg_resize_bilinear_params *p, const int8_t *input, int8_t *output) {
  for (int32_t b = 0; b < p->batches; ++b) {
    const int8_t *image = input + b * p->image_size;
    for (int32_t y = 0; y < p->out_h; ++y) {
      const int32_t *row = p->rows + 4 * y;
      const int8_t *top = image + row[0], *bottom = image + row[1];
      for (int32_t x = 0; x < p->out_w; ++x) {
        const int32_t *col = p->cols + 4 * x;
        for (int32_t c = 0; c < p->channels; ++c) {
          *output++ = blend(top[col[0] + c], top[col[1] + c], bottom[col[0] + c], bottom[col[1] + c], row, col);
        }
      }
    }
  }
}
