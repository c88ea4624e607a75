#include "space_to_batch.h"

#include <string.h>

void tg_space_to_batch(const tg_space_to_batch_params *p, const void *input, void *output) {
  const uint8_t *in = (const uint8_t *)input;
  uint8_t *out = (uint8_t *)output;
  const size_t pixel = (size_t)p->pixel_bytes;
  for (int32_t b = 0; b < p->out_batch; ++b) {
    const int32_t image = b % p->in_batch, position = b / p->in_batch;
    const int32_t dy = position / p->block_w - p->pad_top, dx = position % p->block_w - p->pad_left;
    for (int32_t oy = 0; oy < p->out_h; ++oy) {
      const int32_t y = oy * p->block_h + dy;
      for (int32_t ox = 0; ox < p->out_w; ++ox) {
        const int32_t x = ox * p->block_w + dx;
        if (y < 0 || y >= p->in_h || x < 0 || x >= p->in_w) {
          /* TFLM fills with a pad value it never initializes, which is 0 in a fresh arena. */
          memset(out, 0, pixel);
        } else {
          memcpy(out, in + ((image * p->in_h + y) * p->in_w + x) * (int32_t)pixel, pixel);
        }
        out += pixel;
      }
    }
  }
}
