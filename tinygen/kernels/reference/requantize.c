#include "requantize.h"

#include "tg_common.h"

void tg_requantize_8bit(const tg_requantize_params *p, const void *input, void *output) {
  int32_t o = 0;
  for (int32_t r = 0; r < p->rows; ++r) {
    const int32_t first = r * p->input_row_stride;
    for (int32_t i = first; i < first + p->cols; ++i, ++o) {
      const int32_t q = p->input_unsigned ? ((const uint8_t *)input)[i] : ((const int8_t *)input)[i];
      const int32_t out = tg_clamp_i32(
          tg_requantize(q - p->input_zero_point, p->multiplier, p->shift) + p->output_zero_point, p->out_min,
          p->out_max);
      if (p->output_unsigned) {
        ((uint8_t *)output)[o] = (uint8_t)out;
      } else {
        ((int8_t *)output)[o] = (int8_t)out;
      }
    }
  }
}

#define TG_REQUANTIZE_S16(p, input, output, out_t)                                                    \
  do {                                                                                               \
    int32_t o_ = 0;                                                                                  \
    for (int32_t r_ = 0; r_ < (p)->rows; ++r_) {                                                     \
      const int16_t *row_ = (input) + r_ * (p)->input_row_stride;                                     \
      for (int32_t i_ = 0; i_ < (p)->cols; ++i_, ++o_) {                                             \
        (output)[o_] = (out_t)tg_clamp_i32(                                                          \
            tg_requantize(row_[i_] - (p)->input_zero_point, (p)->multiplier, (p)->shift) + (p)->output_zero_point, \
            (p)->out_min, (p)->out_max);                                                             \
      }                                                                                              \
    }                                                                                                \
  } while (0)

void tg_requantize_s16_s8(const tg_requantize_params *p, const int16_t *input, int8_t *output) {
  TG_REQUANTIZE_S16(p, input, output, int8_t);
}

void tg_requantize_s16_s32(const tg_requantize_params *p, const int16_t *input, int32_t *output) {
  TG_REQUANTIZE_S16(p, input, output, int32_t);
}
