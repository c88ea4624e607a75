/* TFLM divides in float32 and rounds half away from zero (roundf), so these kernels use float.
 * Clamping in float before the conversion keeps out-of-range and infinite inputs defined (they
 * saturate); NaN becomes the zero point. */
#include "quantize.h"

#include <math.h>

#include "tg_common.h"

#define TG_QUANTIZE_DEFINE(suffix, out_t, out_min, out_max)                                                 \
  void tg_quantize_##suffix(const tg_quantize_params *p, const float *input, out_t *output) {               \
    const float lo = (float)((out_min) - p->zero_point), hi = (float)((out_max) - p->zero_point);           \
    for (int32_t r = 0; r < p->rows; ++r) {                                                                 \
      const float *row = input + r * p->input_row_stride;                                                   \
      for (int32_t i = 0; i < p->cols; ++i) {                                                               \
        float q = roundf(row[i] / p->scale);                                                                \
        q = q != q ? 0.0f : q < lo ? lo : q > hi ? hi : q;                                                  \
        *output++ = (out_t)((int32_t)q + p->zero_point);                                                    \
      }                                                                                                     \
    }                                                                                                       \
  }

TG_QUANTIZE_DEFINE(f32_s8, int8_t, INT8_MIN, INT8_MAX)
TG_QUANTIZE_DEFINE(f32_s16, int16_t, INT16_MIN, INT16_MAX)
