/* The optimized fully connected layer out of line. */
#include "opt_fc.h"

void opt_fc_s8(const opt_fc_params *p, const int8_t *input, int8_t *output) { opt_fc_s8_inline(p, input, output); }
