#ifndef TG_DEPTHWISE_CONV2D_H
#define TG_DEPTHWISE_CONV2D_H

#include <stdint.h>

typedef struct {
  int32_t batches, in_h, in_w, in_c, out_h, out_w, out_c, depth_multiplier;
  int32_t kernel_h, kernel_w, stride_h, stride_w, dilation_h, dilation_w, pad_top, pad_left;
  int32_t input_offset, output_offset, act_min, act_max;
  const int32_t *multiplier, *shift; /* per output channel */
  const int8_t *weights;             /* [1][kernel_h][kernel_w][out_c] */
  const void *bias;                  /* [out_c] or NULL: int32_t, int64_t for tg_depthwise_conv2d_s16 */
  int32_t reverse;                   /* 1: last output pixel first, so the output may sit above its input */
} tg_depthwise_conv2d_params;

/* Depthwise convolution, NHWC: output channel c*depth_multiplier + m reads input channel c; int8
 * activations, or 16x8 (int16 activations, int64 bias: tg_depthwise_conv2d_s16). */
void tg_depthwise_conv2d_s8(const tg_depthwise_conv2d_params *p, const int8_t *input, int8_t *output);
void tg_depthwise_conv2d_s16(const tg_depthwise_conv2d_params *p, const int16_t *input, int16_t *output);

#endif
