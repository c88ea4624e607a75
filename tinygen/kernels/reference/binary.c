/* Broadcasting ADD/SUB/MUL: one row rule for tg_broadcast_s8's walk. */
#include "binary.h"

#include "tg_common.h"

static int32_t rescale_input(const tg_binary_params *p, int32_t q, int32_t offset, int32_t multiplier,
                             int32_t shift) {
  return tg_requantize((q + offset) * (1 << p->left_shift), multiplier, shift);
}

static int8_t add_sub(const tg_binary_params *p, int32_t a, int32_t b) {
  const int32_t x = rescale_input(p, a, p->a_offset, p->a_multiplier, p->a_shift);
  const int32_t y = rescale_input(p, b, p->b_offset, p->b_multiplier, p->b_shift);
  const int32_t raw = p->op == TG_BINARY_SUB ? x - y : x + y;
  const int32_t out = tg_requantize(raw, p->multiplier, p->shift) + p->output_offset;
  return (int8_t)tg_clamp_i32(out, p->act_min, p->act_max);
}

static int8_t mul(const tg_binary_params *p, int32_t a, int32_t b) {
  const int32_t out = tg_requantize((a + p->a_offset) * (b + p->b_offset), p->multiplier, p->shift) +
                      p->output_offset;
  return (int8_t)tg_clamp_i32(out, p->act_min, p->act_max);
}

static void row(const void *params, const int8_t *a, int32_t a_step, const int8_t *b, int32_t b_step,
                int8_t *output, int32_t n) {
  const tg_binary_params *p = (const tg_binary_params *)params;
  if (p->op == TG_BINARY_MUL) {
    for (int32_t i = 0; i < n; ++i) output[i] = mul(p, a[i * a_step], b[i * b_step]);
  } else {
    for (int32_t i = 0; i < n; ++i) output[i] = add_sub(p, a[i * a_step], b[i * b_step]);
  }
}

void tg_binary_s8(const tg_binary_params *p, const int8_t *a, const int8_t *b, int8_t *output) {
  tg_broadcast_s8(p->walk, row, p, a, b, output);
}
