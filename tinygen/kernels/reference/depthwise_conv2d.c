/* Reference depthwise convolution: taps outside the input contribute nothing. */
#include "depthwise_conv2d.h"

#include "tg_common.h"

static int32_t accumulate(const tg_depthwise_conv2d_params *p, const int8_t *image, int32_t y0, int32_t x0,
                          int32_t in_channel, int32_t out_channel) {
  int32_t acc = 0;
  for (int32_t ky = 0; ky < p->kernel_h; ++ky) {
    const int32_t y = y0 + ky * p->dilation_h;
    if (y < 0 || y >= p->in_h) continue;
    for (int32_t kx = 0; kx < p->kernel_w; ++kx) {
      const int32_t x = x0 + kx * p->dilation_w;
      if (x < 0 || x >= p->in_w) continue;
      const int32_t in = image[(y * p->in_w + x) * p->in_c + in_channel];
      acc += p->weights[(ky * p->kernel_w + kx) * p->out_c + out_channel] * (in + p->input_offset);
    }
  }
  return acc;
}

static void pixel(const tg_depthwise_conv2d_params *p, const int8_t *image, int32_t oy, int32_t ox, int8_t *out) {
  for (int32_t oc = 0; oc < p->out_c; ++oc) {
    int32_t acc = accumulate(p, image, oy * p->stride_h - p->pad_top, ox * p->stride_w - p->pad_left,
                             oc / p->depth_multiplier, oc);
    if (p->bias) acc += p->bias[oc];
    out[oc] = tg_requantize_s8(acc, p->multiplier[oc], p->shift[oc], p->output_offset, p->act_min, p->act_max);
  }
}

void tg_depthwise_conv2d_s8(const tg_depthwise_conv2d_params *p, const int8_t *input, int8_t *output) {
  TG_FOR_EACH_OUTPUT_PIXEL(p, input, output, pixel);
}
