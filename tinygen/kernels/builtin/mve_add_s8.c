/* mve_add_s8: mve_add.h's body out of line, for call sites that run many times (patch tiles). */
#include "mve_add.h"

void mve_add_s8(const mve_add_params *p, const int8_t *a, const int8_t *b, int8_t *output) {
  mve_add_s8_inline(p, a, b, output);
}
