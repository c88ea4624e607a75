/* Reference depthwise convolution: taps outside the input contribute nothing.
 *
 * One body for both type pairs TFLM runs: int8 activations accumulate in int32, 16x8 (int16
 * activations, int8 weights, int64 bias) in int64, requantized with tg_requantize_64. */
#include "depthwise_conv2d.h"

#include "tg_common.h"

#define TG_DEPTHWISE_CONV2D_DEFINE(suffix, act_t, acc_t, requantize)                                       \
  static acc_t accumulate_##suffix(const tg_depthwise_conv2d_params *p, const act_t *image, int32_t y0,    \
                                   int32_t x0, int32_t in_channel, int32_t out_channel) {                  \
    acc_t acc = 0;                                                                                          \
    for (int32_t ky = 0; ky < p->kernel_h; ++ky) {                                                          \
      const int32_t y = y0 + ky * p->dilation_h;                                                            \
      if (y < 0 || y >= p->in_h) continue;                                                                  \
      for (int32_t kx = 0; kx < p->kernel_w; ++kx) {                                                        \
        const int32_t x = x0 + kx * p->dilation_w;                                                          \
        if (x < 0 || x >= p->in_w) continue;                                                                \
        const int32_t in = image[(y * p->in_w + x) * p->in_c + in_channel];                                 \
        acc += p->weights[(ky * p->kernel_w + kx) * p->out_c + out_channel] * (in + p->input_offset);       \
      }                                                                                                     \
    }                                                                                                       \
    return acc;                                                                                             \
  }                                                                                                         \
                                                                                                            \
  static void pixel_##suffix(const tg_depthwise_conv2d_params *p, const act_t *image, int32_t oy,           \
                             int32_t ox, act_t *out) {                                                      \
    for (int32_t oc = 0; oc < p->out_c; ++oc) {                                                             \
      const acc_t acc = accumulate_##suffix(p, image, oy * p->stride_h - p->pad_top,                        \
                                            ox * p->stride_w - p->pad_left, oc / p->depth_multiplier, oc);  \
      out[oc] = TG_CHANNEL_OUTPUT(p, act_t, acc_t, requantize, oc, acc);                                    \
    }                                                                                                       \
  }                                                                                                         \
                                                                                                            \
  void tg_depthwise_conv2d_##suffix(const tg_depthwise_conv2d_params *p, const act_t *input, act_t *output) { \
    TG_FOR_EACH_OUTPUT_PIXEL(p, act_t, input, output, pixel_##suffix);                                      \
  }

TG_DEPTHWISE_CONV2D_DEFINE(s8, int8_t, int32_t, tg_requantize)
TG_DEPTHWISE_CONV2D_DEFINE(s16, int16_t, int64_t, tg_requantize_64)
