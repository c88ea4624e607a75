#include "gather.h"

#include <string.h>

void tg_gather(const tg_gather_params *p, const void *input, void *output) {
  const uint8_t *in = (const uint8_t *)input;
  uint8_t *out = (uint8_t *)output;
  const int32_t *n = p->dims;
  const int32_t *t0 = p->offsets, *t1 = t0 + n[0], *t2 = t1 + n[1], *t3 = t2 + n[2], *t4 = t3 + n[3];
  const size_t block = (size_t)p->block_bytes;
  for (int32_t a = 0; a < n[0]; ++a) {
    for (int32_t b = 0; b < n[1]; ++b) {
      for (int32_t c = 0; c < n[2]; ++c) {
        for (int32_t d = 0; d < n[3]; ++d) {
          const uint8_t *row = in + t0[a] + t1[b] + t2[c] + t3[d];
          for (int32_t e = 0; e < n[4]; ++e) {
            memcpy(out, row + t4[e], block);
            out += block;
          }
        }
      }
    }
  }
}
