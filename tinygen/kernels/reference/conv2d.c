/* Reference 2-D convolution: taps outside the input contribute nothing (the input zero point). */
#include "conv2d.h"

#include "tg_common.h"

static int32_t accumulate(const tg_conv2d_params *p, const int8_t *image, int32_t y0, int32_t x0,
                          int32_t first_channel, const int8_t *filter) {
  int32_t acc = 0;
  for (int32_t ky = 0; ky < p->kernel_h; ++ky) {
    const int32_t y = y0 + ky * p->dilation_h;
    if (y < 0 || y >= p->in_h) continue;
    for (int32_t kx = 0; kx < p->kernel_w; ++kx) {
      const int32_t x = x0 + kx * p->dilation_w;
      if (x < 0 || x >= p->in_w) continue;
      const int8_t *in = image + (y * p->in_w + x) * p->in_c + first_channel;
      const int8_t *w = filter + (ky * p->kernel_w + kx) * p->filter_c;
      for (int32_t c = 0; c < p->filter_c; ++c) acc += w[c] * (in[c] + p->input_offset);
    }
  }
  return acc;
}

static void pixel(const tg_conv2d_params *p, const int8_t *image, int32_t oy, int32_t ox, int8_t *out) {
  const int32_t filters_per_group = p->out_c / (p->in_c / p->filter_c);
  const int32_t filter_size = p->kernel_h * p->kernel_w * p->filter_c;
  for (int32_t oc = 0; oc < p->out_c; ++oc) {
    const int32_t group = oc / filters_per_group;
    int32_t acc = accumulate(p, image, oy * p->stride_h - p->pad_top, ox * p->stride_w - p->pad_left,
                             group * p->filter_c, p->weights + oc * filter_size);
    if (p->bias) acc += p->bias[oc];
    out[oc] = tg_requantize_s8(acc, p->multiplier[oc], p->shift[oc], p->output_offset, p->act_min, p->act_max);
  }
}

void tg_conv2d_s8(const tg_conv2d_params *p, const int8_t *input, int8_t *output) {
  TG_FOR_EACH_OUTPUT_PIXEL(p, input, output, pixel);
}
