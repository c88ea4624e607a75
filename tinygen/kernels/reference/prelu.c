#include "prelu.h"

#include "tg_common.h"

static void prelu_row(const void *params, const int8_t *x, int32_t x_step, const int8_t *alpha, int32_t alpha_step,
                      int8_t *output, int32_t n) {
  const tg_prelu_params *p = (const tg_prelu_params *)params;
  for (int32_t i = 0; i < n; ++i) {
    const int32_t value = x[i * x_step] + p->input_offset;
    const int32_t scaled =
        value >= 0 ? tg_requantize(value, p->identity_multiplier, p->identity_shift)
                   : tg_requantize(value * (alpha[i * alpha_step] + p->alpha_offset), p->alpha_multiplier,
                                   p->alpha_shift);
    output[i] = (int8_t)tg_clamp_i32(scaled + p->output_offset, INT8_MIN, INT8_MAX);
  }
}

void tg_prelu_s8(const tg_prelu_params *p, const int8_t *input, const int8_t *alpha, int8_t *output) {
  tg_broadcast_s8(p->walk, prelu_row, p, input, alpha, output);
}
