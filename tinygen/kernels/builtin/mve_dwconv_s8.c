/* mve_dwconv_s8: mve_dwconv.h's body out of line, for call sites that run many times (patch tiles). */
#include "mve_dwconv.h"

void mve_dwconv_s8(const mve_dwconv_params *p, const int8_t *input, int8_t *output, void *scratch) {
  mve_dwconv_s8_inline(p, input, output, scratch);
}
