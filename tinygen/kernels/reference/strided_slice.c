#include "strided_slice.h"

#include <string.h>

void tg_strided_slice(const tg_strided_slice_params *p, const void *input, void *output) {
  const uint8_t *in = (const uint8_t *)input;
  uint8_t *out = (uint8_t *)output;
  int32_t pitch[5];
  pitch[4] = p->element_bytes;
  for (int d = 3; d >= 0; --d) pitch[d] = pitch[d + 1] * p->in_dims[d + 1];
  for (int32_t i0 = 0; i0 < p->count[0]; ++i0) {
    const uint8_t *a = in + (p->start[0] + i0 * p->step[0]) * pitch[0];
    for (int32_t i1 = 0; i1 < p->count[1]; ++i1) {
      const uint8_t *b = a + (p->start[1] + i1 * p->step[1]) * pitch[1];
      for (int32_t i2 = 0; i2 < p->count[2]; ++i2) {
        const uint8_t *c = b + (p->start[2] + i2 * p->step[2]) * pitch[2];
        for (int32_t i3 = 0; i3 < p->count[3]; ++i3) {
          const uint8_t *d = c + (p->start[3] + i3 * p->step[3]) * pitch[3];
          for (int32_t i4 = 0; i4 < p->count[4]; ++i4) {
            memcpy(out, d + (p->start[4] + i4 * p->step[4]) * pitch[4], (size_t)p->element_bytes);
            out += p->element_bytes;
          }
        }
      }
    }
  }
}
