/* Broadcasting ADD/SUB/MUL: one row rule for the broadcast walk, for int8 and int16 elements
 * alike (TFLM runs both through the same arithmetic; ADD/SUB differ only in left_shift). */
#include "binary.h"

#include "tg_common.h"

static int32_t rescale_input(const tg_binary_params *p, int32_t q, int32_t offset, int32_t multiplier,
                             int32_t shift) {
  return tg_requantize((q + offset) * (1 << p->left_shift), multiplier, shift);
}

static int32_t add_sub(const tg_binary_params *p, int32_t a, int32_t b) {
  const int32_t x = rescale_input(p, a, p->a_offset, p->a_multiplier, p->a_shift);
  const int32_t y = rescale_input(p, b, p->b_offset, p->b_multiplier, p->b_shift);
  const int32_t raw = p->op == TG_BINARY_SUB ? x - y : x + y;
  const int32_t out = tg_requantize(raw, p->multiplier, p->shift) + p->output_offset;
  return tg_clamp_i32(out, p->act_min, p->act_max);
}

static int32_t mul(const tg_binary_params *p, int32_t a, int32_t b) {
  const int32_t out = tg_requantize((a + p->a_offset) * (b + p->b_offset), p->multiplier, p->shift) +
                      p->output_offset;
  return tg_clamp_i32(out, p->act_min, p->act_max);
}

#define TG_BINARY_DEFINE(suffix, elem_t)                                                                    \
  static void row_##suffix(const void *params, const elem_t *a, int32_t a_step, const elem_t *b,            \
                           int32_t b_step, elem_t *output, int32_t n) {                                    \
    const tg_binary_params *p = (const tg_binary_params *)params;                                           \
    if (p->op == TG_BINARY_MUL) {                                                                           \
      for (int32_t i = 0; i < n; ++i) output[i] = (elem_t)mul(p, a[i * a_step], b[i * b_step]);             \
    } else {                                                                                                \
      for (int32_t i = 0; i < n; ++i) output[i] = (elem_t)add_sub(p, a[i * a_step], b[i * b_step]);         \
    }                                                                                                       \
  }                                                                                                         \
                                                                                                            \
  void tg_binary_##suffix(const tg_binary_params *p, const elem_t *a, const elem_t *b, elem_t *output) {    \
    tg_broadcast_##suffix(p->walk, row_##suffix, p, a, b, output);                                          \
  }

TG_BINARY_DEFINE(s8, int8_t)
TG_BINARY_DEFINE(s16, int16_t)
