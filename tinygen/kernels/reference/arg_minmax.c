#include "arg_minmax.h"

void tg_arg_minmax_s8(const tg_arg_minmax_params *p, const int8_t *input, int32_t *output) {
  for (int32_t o = 0; o < p->outer; ++o) {
    const int8_t *slab = input + o * p->axis_size * p->inner;
    for (int32_t i = 0; i < p->inner; ++i) {
      int8_t best = slab[i];
      int32_t index = 0;
      /* Strict comparisons: the first of equal extremes wins, as in TFLM. */
      for (int32_t k = 1; k < p->axis_size; ++k) {
        const int8_t v = slab[k * p->inner + i];
        if (p->find_max ? v > best : v < best) {
          best = v;
          index = k;
        }
      }
      *output++ = index;
    }
  }
}
