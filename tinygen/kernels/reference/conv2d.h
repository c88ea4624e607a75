#ifndef TG_CONV2D_H
#define TG_CONV2D_H

#include <stdint.h>

typedef struct {
  int32_t batches, in_h, in_w, in_c, out_h, out_w, out_c, filter_c;
  int32_t kernel_h, kernel_w, stride_h, stride_w, dilation_h, dilation_w, pad_top, pad_left;
  int32_t input_offset, output_offset, act_min, act_max;
  const int32_t *multiplier, *shift; /* per output channel */
  const int8_t *weights;             /* [out_c][kernel_h][kernel_w][filter_c] */
  const void *bias;                  /* [out_c] or NULL: int32_t, int64_t for tg_conv2d_s16 */
  int32_t reverse;                   /* 1: last output pixel first, so the output may sit above its input */
} tg_conv2d_params;

/* 2-D convolution, NHWC, grouped when in_c is a multiple of filter_c: int8 activations (int32
 * bias), or 16x8: int16 activations with int64 bias (tg_conv2d_s16) or int32 bias (_s16_b32). */
void tg_conv2d_s8(const tg_conv2d_params *p, const int8_t *input, int8_t *output);
void tg_conv2d_s16(const tg_conv2d_params *p, const int16_t *input, int16_t *output);
void tg_conv2d_s16_b32(const tg_conv2d_params *p, const int16_t *input, int16_t *output);

#endif
