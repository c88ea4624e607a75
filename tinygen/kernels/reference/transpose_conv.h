#ifndef TG_TRANSPOSE_CONV_H
#define TG_TRANSPOSE_CONV_H

#include <stdint.h>

typedef struct {
  int32_t batches, in_h, in_w, in_c, out_h, out_w, out_c;
  int32_t kernel_h, kernel_w, stride_h, stride_w, pad_top, pad_left;
  int32_t input_offset, output_offset, act_min, act_max;
  const int32_t *multiplier, *shift; /* per output channel */
  const int8_t *weights;             /* [out_c][kernel_h][kernel_w][in_c] */
  const void *bias;                  /* [out_c] or NULL: int32_t, int64_t for tg_transpose_conv_s16 */
} tg_transpose_conv_params;

/* Transposed 2-D convolution, NHWC with per-channel weights: int8 activations, or 16x8 (int16
 * activations, int64 bias). */
void tg_transpose_conv_s8(const tg_transpose_conv_params *p, const int8_t *input, int8_t *output);
void tg_transpose_conv_s16(const tg_transpose_conv_params *p, const int16_t *input, int16_t *output);

#endif
