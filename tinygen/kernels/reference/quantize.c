/* TFLM divides in float32 and rounds half away from zero (roundf), so this kernel uses float. */
#include "quantize.h"

#include <math.h>

#include "tg_common.h"

void tg_quantize_f32_s8(const tg_quantize_params *p, const float *input, int8_t *output) {
  /* Clamping in float before the conversion keeps out-of-range and infinite inputs defined (they
   * saturate); NaN becomes the zero point. */
  const float lo = (float)(-128 - p->zero_point), hi = (float)(127 - p->zero_point);
  for (int32_t r = 0; r < p->rows; ++r) {
    const float *row = input + r * p->input_row_stride;
    for (int32_t i = 0; i < p->cols; ++i) {
      float q = roundf(row[i] / p->scale);
      q = q != q ? 0.0f : q < lo ? lo : q > hi ? hi : q;
      *output++ = (int8_t)((int32_t)q + p->zero_point);
    }
  }
}
