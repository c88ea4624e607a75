/* Reference fully connected layer: one dot product per (batch, unit), then requantization. */
#include "fully_connected.h"

#include "tg_common.h"

void tg_fully_connected_s8(const tg_fully_connected_params *p, const int8_t *input, int8_t *output) {
  for (int32_t b = 0; b < p->batches; ++b) {
    const int8_t *x = input + b * p->depth;
    for (int32_t u = 0; u < p->units; ++u) {
      const int8_t *w = p->weights + u * p->depth;
      int32_t acc = 0;
      for (int32_t d = 0; d < p->depth; ++d) acc += w[d] * (x[d] + p->input_offset);
      if (p->bias) acc += p->bias[u];
      *output++ = tg_requantize_s8(acc, p->multiplier[u], p->shift[u], p->output_offset, p->act_min, p->act_max);
    }
  }
}
