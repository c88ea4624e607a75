/* Reference SVDF: the feature projection into the state, then memory x time weights per unit.
 * TFLM sums each filter's time product into a scratch buffer first and the rank filters of a
 * unit afterwards; summing them as they come gives the same int32 totals without the scratch. */
#include "svdf.h"

#include <string.h>

#include "tg_common.h"

#define TG_SVDF_BODY(state_t, state_min, state_max)                                                        \
  do {                                                                                                     \
    const int32_t per_batch = p->filters * p->memory;                                                      \
    const state_t *time = (const state_t *)p->weights_time;                                                \
    /* Every value moves one place towards the front; each filter's last place is rewritten below. */     \
    if (p->batches * per_batch > 1) {                                                                      \
      memmove(state, state + 1, (size_t)(p->batches * per_batch - 1) * sizeof(state_t));                   \
    }                                                                                                      \
    for (int32_t b = 0; b < p->batches; ++b) {                                                             \
      const int8_t *x = input + b * p->input_size;                                                         \
      state_t *s = state + b * per_batch;                                                                  \
      for (int32_t f = 0; f < p->filters; ++f) {                                                           \
        const int8_t *w = p->weights_feature + f * p->input_size;                                          \
        int32_t acc = 0;                                                                                   \
        for (int32_t i = 0; i < p->input_size; ++i) acc += w[i] * (x[i] + p->input_offset);                \
        acc = tg_clamp_i32(tg_requantize(acc, p->feature_multiplier, p->feature_shift), state_min,         \
                           state_max);                                                                     \
        s[f * p->memory + p->memory - 1] = (state_t)(acc + p->state_zero_point);                           \
      }                                                                                                    \
      for (int32_t u = 0; u < p->units; ++u) {                                                             \
        int32_t acc = p->bias ? p->bias[u] : 0;                                                            \
        for (int32_t r = 0; r < p->rank; ++r) {                                                            \
          const int32_t f = u * p->rank + r;                                                               \
          const state_t *m = s + f * p->memory;                                                            \
          const state_t *t = time + f * p->memory;                                                         \
          for (int32_t j = 0; j < p->memory; ++j) acc += t[j] * (m[j] - p->state_zero_point);              \
        }                                                                                                  \
        output[b * p->units + u] =                                                                         \
            (int8_t)tg_clamp_i32(tg_requantize(acc, p->output_multiplier, p->output_shift) + p->output_offset, \
                                 -128, 127);                                                               \
      }                                                                                                    \
    }                                                                                                      \
  } while (0)

void tg_svdf_s8_s16(const tg_svdf_params *p, const int8_t *input, int16_t *state, int8_t *output) {
  TG_SVDF_BODY(int16_t, -32768, 32767);
}

void tg_svdf_s8_s8(const tg_svdf_params *p, const int8_t *input, int8_t *state, int8_t *output) {
  TG_SVDF_BODY(int8_t, -128, 127);
}
