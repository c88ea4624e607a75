#include "transpose.h"

void tg_transpose_s8(const tg_transpose_params *p, const int8_t *input, int8_t *output) {
  const int32_t *n = p->out_dims, *s = p->in_stride;
  for (int32_t i0 = 0; i0 < n[0]; ++i0) {
    const int8_t *a = input + i0 * s[0];
    for (int32_t i1 = 0; i1 < n[1]; ++i1) {
      const int8_t *b = a + i1 * s[1];
      for (int32_t i2 = 0; i2 < n[2]; ++i2) {
        const int8_t *c = b + i2 * s[2];
        for (int32_t i3 = 0; i3 < n[3]; ++i3) {
          const int8_t *d = c + i3 * s[3];
          for (int32_t i4 = 0; i4 < n[4]; ++i4) {
            const int8_t *e = d + i4 * s[4];
            for (int32_t i5 = 0; i5 < n[5]; ++i5) *output++ = e[i5 * s[5]];
          }
        }
      }
    }
  }
}
