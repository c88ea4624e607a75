/* Reference fully connected layer: one dot product per (batch, unit), then requantization. One
 * body for every type pair TFLM runs (see conv2d.c): the accumulator has the bias's type. */
#include "fully_connected.h"

#include "tg_common.h"

#define TG_FULLY_CONNECTED_DEFINE(suffix, act_t, acc_t, requantize)                                         \
  void tg_fully_connected_##suffix(const tg_fully_connected_params *p, const act_t *input, act_t *output) { \
    for (int32_t b = 0; b < p->batches; ++b) {                                                              \
      const act_t *x = input + b * p->depth;                                                                \
      for (int32_t u = 0; u < p->units; ++u) {                                                              \
        const int8_t *w = p->weights + u * p->depth;                                                        \
        acc_t acc = 0;                                                                                      \
        for (int32_t d = 0; d < p->depth; ++d) acc += w[d] * (x[d] + p->input_offset);                      \
        *output++ = TG_CHANNEL_OUTPUT(p, act_t, acc_t, requantize, u, acc);                                 \
      }                                                                                                     \
    }                                                                                                       \
  }

TG_FULLY_CONNECTED_DEFINE(s8, int8_t, int32_t, tg_requantize)
TG_FULLY_CONNECTED_DEFINE(s16, int16_t, int64_t, tg_requantize_64)
TG_FULLY_CONNECTED_DEFINE(s16_b32, int16_t, int32_t, tg_requantize)
