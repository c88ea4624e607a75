/* TFLM scatters each input pixel into an int32 buffer the size of the output. Gathering instead
 * (each output sums the input pixels that land on it) adds the same integer products, so the
 * result is identical, and needs no scratch memory: input pixel iy reaches output row
 * oy = iy * stride - pad + ky, so output row oy receives tap ky exactly when
 * oy + pad - ky is a non-negative multiple of the stride. */
#include "transpose_conv.h"

#include "tg_common.h"

static int32_t accumulate(const tg_transpose_conv_params *p, const int8_t *image, int32_t oy, int32_t ox,
                          const int8_t *filter) {
  int32_t acc = 0;
  const int32_t ty = oy + p->pad_top, tx = ox + p->pad_left;
  for (int32_t ky = ty % p->stride_h; ky < p->kernel_h && ky <= ty; ky += p->stride_h) {
    const int32_t iy = (ty - ky) / p->stride_h;
    if (iy >= p->in_h) continue;
    for (int32_t kx = tx % p->stride_w; kx < p->kernel_w && kx <= tx; kx += p->stride_w) {
      const int32_t ix = (tx - kx) / p->stride_w;
      if (ix >= p->in_w) continue;
      const int8_t *in = image + (iy * p->in_w + ix) * p->in_c;
      const int8_t *w = filter + (ky * p->kernel_w + kx) * p->in_c;
      for (int32_t c = 0; c < p->in_c; ++c) acc += (in[c] + p->input_offset) * w[c];
    }
  }
  return acc;
}

void tg_transpose_conv_s8(const tg_transpose_conv_params *p, const int8_t *input, int8_t *output) {
  const int32_t filter_size = p->kernel_h * p->kernel_w * p->in_c;
  for (int32_t b = 0; b < p->batches; ++b) {
    const int8_t *image = input + b * p->in_h * p->in_w * p->in_c;
    for (int32_t oy = 0; oy < p->out_h; ++oy) {
      for (int32_t ox = 0; ox < p->out_w; ++ox) {
        for (int32_t oc = 0; oc < p->out_c; ++oc) {
          int32_t acc = accumulate(p, image, oy, ox, p->weights + oc * filter_size);
          if (p->bias) acc += p->bias[oc];
          *output++ = tg_requantize_s8(acc, p->multiplier[oc], p->shift[oc], p->output_offset, p->act_min, p->act_max);
        }
      }
    }
  }
}
