/* TFLM divides in float32 and rounds half away from zero (roundf), so this kernel uses float. */
#include "quantize.h"

#include <math.h>

#include "tg_common.h"

void tg_quantize_f32_s8(const tg_quantize_params *p, const float *input, int8_t *output) {
  /* Clamping in float before the conversion keeps out-of-range and infinite inputs defined (they
   * saturate); NaN becomes the zero point. */
  const float lo = (float)(-128 - p->zero_point), hi = (float)(127 - p->zero_point);
  for (int32_t i = 0; i < p->size; ++i) {
    float r = roundf(input[i] / p->scale);
    r = r != r ? 0.0f : r < lo ? lo : r > hi ? hi : r;
    output[i] = (int8_t)((int32_t)r + p->zero_point);
  }
}
