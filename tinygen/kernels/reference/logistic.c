/* Reference int8 logistic and tanh: gemmlowp's fixed-point functions on a Q4 input, then a
 * rounding shift of the Q0 result down to the 8-bit output. */
#include "logistic.h"

#include "tg_common.h"
#include "tg_fixedpoint.h"

enum { kInputIntegerBits = 4 };

static inline void sigmoid_family(const tg_logistic_params *p, const int8_t *input, int8_t *output, int is_tanh) {
  for (int32_t i = 0; i < p->size; ++i) {
    int32_t x = input[i] - p->input_zero_point;
    int32_t y;
    if (x <= -p->input_range_radius) {
      y = INT8_MIN;
    } else if (x >= p->input_range_radius) {
      y = INT8_MAX;
    } else {
      int32_t x_q4 = tg_requantize(x, p->input_multiplier, p->input_left_shift);
      y = is_tanh ? tg_rounding_divide_by_pot(tg_fp_tanh(x_q4, kInputIntegerBits), 31 - 7)
                  : tg_rounding_divide_by_pot(tg_fp_logistic(x_q4, kInputIntegerBits), 31 - 8) + INT8_MIN;
      y = tg_clamp_i32(y, INT8_MIN, INT8_MAX);
    }
    output[i] = (int8_t)y;
  }
}

void tg_logistic_s8(const tg_logistic_params *p, const int8_t *input, int8_t *output) {
  sigmoid_family(p, input, output, 0);
}

void tg_tanh_s8(const tg_logistic_params *p, const int8_t *input, int8_t *output) {
  sigmoid_family(p, input, output, 1);
}
