#ifndef TG_LOGISTIC_H
#define TG_LOGISTIC_H

#include <stdint.h>

/* LOGISTIC and TANH share their input handling: inputs within the radius of the zero point are
 * rescaled to Q4 (multiplier and left shift), those outside saturate the output. */
typedef struct {
  int32_t size;
  int32_t input_zero_point, input_range_radius;
  int32_t input_multiplier, input_left_shift;
} tg_logistic_params;

/* Output scale 1/256, zero point -128. */
void tg_logistic_s8(const tg_logistic_params *p, const int8_t *input, int8_t *output);
/* Output scale 1/128, zero point 0 (the reference ignores the output tensor's own parameters). */
void tg_tanh_s8(const tg_logistic_params *p, const int8_t *input, int8_t *output);

#endif
