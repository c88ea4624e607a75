#ifndef TG_LUT_H
#define TG_LUT_H

#include <stdint.h>

typedef struct {
  int32_t size;
  const int8_t *table; /* output for each input value, indexed by input + 128 */
} tg_lut_params;

/* Any element-wise int8 -> int8 function, tabulated at generation time. */
void tg_lut_s8(const tg_lut_params *p, const int8_t *input, int8_t *output);

#endif
