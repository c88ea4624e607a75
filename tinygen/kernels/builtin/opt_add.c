/* The optimized element-wise ADD/SUB out of line. */
#include "opt_add.h"

void opt_add_s8(const opt_add_params *p, const int8_t *a, const int8_t *b, int8_t *output) {
  opt_add_s8_inline(p, a, b, output);
}
