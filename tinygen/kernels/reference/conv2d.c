/* Reference 2-D convolution: taps outside the input contribute nothing (the input zero point).
 *
 * One body for every type pair TFLM runs: int8 activations accumulate in int32; 16x8 (int16
 * activations, int8 weights) accumulates in int64 when the bias is int64 and requantizes that
 * with TFLM's 64-bit MultiplyByQuantizedMultiplier (tg_requantize_64), or stays in int32 with an
 * int32 bias, as TFLM's kernel does. The bias has the accumulator's type. */
#include "conv2d.h"

#include "tg_common.h"

#define TG_CONV2D_DEFINE(suffix, act_t, acc_t, requantize)                                                 \
  static acc_t accumulate_##suffix(const tg_conv2d_params *p, const act_t *image, int32_t y0, int32_t x0,   \
                                   int32_t first_channel, const int8_t *filter) {                          \
    acc_t acc = 0;                                                                                          \
    for (int32_t ky = 0; ky < p->kernel_h; ++ky) {                                                          \
      const int32_t y = y0 + ky * p->dilation_h;                                                            \
      if (y < 0 || y >= p->in_h) continue;                                                                  \
      for (int32_t kx = 0; kx < p->kernel_w; ++kx) {                                                        \
        const int32_t x = x0 + kx * p->dilation_w;                                                          \
        if (x < 0 || x >= p->in_w) continue;                                                                \
        const act_t *in = image + (y * p->in_w + x) * p->in_c + first_channel;                              \
        const int8_t *w = filter + (ky * p->kernel_w + kx) * p->filter_c;                                   \
        for (int32_t c = 0; c < p->filter_c; ++c) acc += w[c] * (in[c] + p->input_offset);                 \
      }                                                                                                     \
    }                                                                                                       \
    return acc;                                                                                             \
  }                                                                                                         \
                                                                                                            \
  static void pixel_##suffix(const tg_conv2d_params *p, const act_t *image, int32_t oy, int32_t ox,         \
                             act_t *out) {                                                                  \
    const int32_t filters_per_group = p->out_c / (p->in_c / p->filter_c);                                   \
    const int32_t filter_size = p->kernel_h * p->kernel_w * p->filter_c;                                    \
    for (int32_t oc = 0; oc < p->out_c; ++oc) {                                                             \
      const int32_t group = oc / filters_per_group;                                                         \
      const acc_t acc = accumulate_##suffix(p, image, oy * p->stride_h - p->pad_top,                        \
                                            ox * p->stride_w - p->pad_left, group * p->filter_c,            \
                                            p->weights + oc * filter_size);                                 \
      out[oc] = TG_CHANNEL_OUTPUT(p, act_t, acc_t, requantize, oc, acc);                                    \
    }                                                                                                       \
  }                                                                                                         \
                                                                                                            \
  void tg_conv2d_##suffix(const tg_conv2d_params *p, const act_t *input, act_t *output) {                   \
    TG_FOR_EACH_OUTPUT_PIXEL(p, act_t, input, output, pixel_##suffix);                                      \
  }

TG_CONV2D_DEFINE(s8, int8_t, int32_t, tg_requantize)
TG_CONV2D_DEFINE(s16, int16_t, int64_t, tg_requantize_64)
TG_CONV2D_DEFINE(s16_b32, int16_t, int32_t, tg_requantize)
