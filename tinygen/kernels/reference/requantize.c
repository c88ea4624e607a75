/* One body for every integer pair: TFLM's Requantize subtracts the input zero point in int32 (an
 * int32 input wraps as it does there), rescales and clamps to the output type. */
#include "requantize.h"

#include "tg_common.h"

static int32_t rescale(const tg_requantize_params *p, int32_t q) {
  const int32_t centred = (int32_t)((uint32_t)q - (uint32_t)p->input_zero_point);
  return tg_clamp_i32(tg_requantize(centred, p->multiplier, p->shift) + p->output_zero_point, p->out_min, p->out_max);
}

#define TG_REQUANTIZE_DEFINE(suffix, in_t, out_t)                                                           \
  void tg_requantize_##suffix(const tg_requantize_params *p, const in_t *input, out_t *output) {            \
    for (int32_t r = 0; r < p->rows; ++r) {                                                                 \
      const in_t *row = input + r * p->input_row_stride;                                                    \
      for (int32_t i = 0; i < p->cols; ++i) *output++ = (out_t)rescale(p, row[i]);                          \
    }                                                                                                       \
  }

TG_REQUANTIZE_DEFINE(s8_s8, int8_t, int8_t)
TG_REQUANTIZE_DEFINE(s8_u8, int8_t, uint8_t)
TG_REQUANTIZE_DEFINE(u8_s8, uint8_t, int8_t)
TG_REQUANTIZE_DEFINE(s8_s16, int8_t, int16_t)
TG_REQUANTIZE_DEFINE(s8_s32, int8_t, int32_t)
TG_REQUANTIZE_DEFINE(s16_s8, int16_t, int8_t)
TG_REQUANTIZE_DEFINE(s16_s16, int16_t, int16_t)
TG_REQUANTIZE_DEFINE(s16_s32, int16_t, int32_t)
TG_REQUANTIZE_DEFINE(s32_s8, int32_t, int8_t)
TG_REQUANTIZE_DEFINE(s32_s16, int32_t, int16_t)
