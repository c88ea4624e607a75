#include "squared_difference.h"

#include "tg_common.h"

static void squared_difference_row(const void *params, const int8_t *a, int32_t a_step, const int8_t *b,
                                   int32_t b_step, int8_t *output, int32_t n) {
  const tg_squared_difference_params *p = (const tg_squared_difference_params *)params;
  for (int32_t i = 0; i < n; ++i) {
    const int32_t x = tg_requantize((a[i * a_step] + p->a_offset) * (1 << p->left_shift), p->a_multiplier, p->a_shift);
    const int32_t y = tg_requantize((b[i * b_step] + p->b_offset) * (1 << p->left_shift), p->b_multiplier, p->b_shift);
    const int32_t difference = x - y;
    const int32_t out = tg_requantize(difference * difference, p->multiplier, p->shift) + p->output_offset;
    output[i] = (int8_t)tg_clamp_i32(out, INT8_MIN, INT8_MAX);
  }
}

void tg_squared_difference_s8(const tg_squared_difference_params *p, const int8_t *a, const int8_t *b,
                              int8_t *output) {
  tg_broadcast_s8(p->walk, squared_difference_row, p, a, b, output);
}
