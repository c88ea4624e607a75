/* mve_conv_s8: mve_conv.h's body out of line, for call sites that run many times (patch tiles). */
#include "mve_conv.h"

void mve_conv_s8(const mve_conv_params *p, const int8_t *input, int8_t *output, void *scratch) {
  mve_conv_s8_inline(p, input, output, scratch);
}
