#ifndef TG_LEAKY_RELU_H
#define TG_LEAKY_RELU_H

#include <stdint.h>

typedef struct {
  int32_t size, input_zero_point, output_zero_point;
  int32_t identity_multiplier, identity_shift; /* for inputs at or above the zero point */
  int32_t alpha_multiplier, alpha_shift;       /* |alpha| rescale for inputs below it */
  int32_t alpha_negative;                      /* negate the alpha branch */
} tg_leaky_relu_params;

/* LEAKY_RELU of int8 or int16 elements. */
void tg_leaky_relu_s8(const tg_leaky_relu_params *p, const int8_t *input, int8_t *output);
void tg_leaky_relu_s16(const tg_leaky_relu_params *p, const int16_t *input, int16_t *output);

#endif
