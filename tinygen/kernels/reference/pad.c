#include "pad.h"

#include <string.h>

void tg_pad_s8(const tg_pad_params *p, const int8_t *input, int8_t *output) {
  const int32_t *o = p->out_dims;
  memset(output, (int8_t)p->value, (size_t)(o[0] * o[1] * o[2] * o[3] * o[4]));
  const int32_t row = p->in_dims[4];
  for (int32_t a = 0; a < p->in_dims[0]; ++a) {
    for (int32_t b = 0; b < p->in_dims[1]; ++b) {
      for (int32_t c = 0; c < p->in_dims[2]; ++c) {
        for (int32_t d = 0; d < p->in_dims[3]; ++d) {
          const int32_t at = (((a + p->before[0]) * o[1] + b + p->before[1]) * o[2] + c + p->before[2]) * o[3]
                             + d + p->before[3];
          memcpy(output + at * o[4] + p->before[4], input, (size_t)row);
          input += row;
        }
      }
    }
  }
}
