#ifndef TG_HARD_SWISH_H
#define TG_HARD_SWISH_H

#include <stdint.h>

typedef struct {
  int32_t size, input_zero_point, output_zero_point;
  /* Q15 multipliers with power-of-two exponents: input (times 2^7) to output scale, and input to
   * the "reluish" scale on which 3.0 is 2^15. */
  int32_t output_multiplier, output_exponent, reluish_multiplier, reluish_exponent;
} tg_hard_swish_params;

/* x * relu6(x + 3) / 6 on int8, in TFLM's 16-bit fixed-point scheme. */
void tg_hard_swish_s8(const tg_hard_swish_params *p, const int8_t *input, int8_t *output);

#endif
