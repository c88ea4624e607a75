/* A frame of the pad value, then the input's innermost rows copied into it: for int8 and int16
 * elements alike (values are copied unchanged). */
#include "pad.h"

#include <string.h>

#define TG_PAD_DEFINE(suffix, elem_t)                                                                       \
  void tg_pad_##suffix(const tg_pad_params *p, const elem_t *input, elem_t *output) {                       \
    const int32_t *o = p->out_dims;                                                                         \
    const int32_t total = o[0] * o[1] * o[2] * o[3] * o[4];                                                 \
    for (int32_t i = 0; i < total; ++i) output[i] = (elem_t)p->value;                                       \
    const int32_t row = p->in_dims[4];                                                                      \
    for (int32_t a = 0; a < p->in_dims[0]; ++a) {                                                           \
      for (int32_t b = 0; b < p->in_dims[1]; ++b) {                                                         \
        for (int32_t c = 0; c < p->in_dims[2]; ++c) {                                                       \
          for (int32_t d = 0; d < p->in_dims[3]; ++d) {                                                     \
            const int32_t at = (((a + p->before[0]) * o[1] + b + p->before[1]) * o[2] + c + p->before[2]) * \
                                   o[3] + d + p->before[3];                                                 \
            memcpy(output + at * o[4] + p->before[4], input, (size_t)row * sizeof(elem_t));                 \
            input += row;                                                                                   \
          }                                                                                                 \
        }                                                                                                   \
      }                                                                                                     \
    }                                                                                                       \
  }

TG_PAD_DEFINE(s8, int8_t)
TG_PAD_DEFINE(s16, int16_t)
