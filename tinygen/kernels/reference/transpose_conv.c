/* TFLM scatters each input pixel into an int32 buffer the size of the output. Gathering instead
 * (each output sums the input pixels that land on it) adds the same integer products, so the
 * result is identical, and needs no scratch memory: input pixel iy reaches output row
 * oy = iy * stride - pad + ky, so output row oy receives tap ky exactly when
 * oy + pad - ky is a non-negative multiple of the stride. int8 activations accumulate in
 * int32; 16x8 (int16 activations) in int64, as TFLM's int64 scratch does, with an int64 bias. */
#include "transpose_conv.h"

#include "tg_common.h"

#define TG_TRANSPOSE_CONV_DEFINE(suffix, act_t, acc_t, requantize)                                         \
  static acc_t accumulate_##suffix(const tg_transpose_conv_params *p, const act_t *image, int32_t oy,       \
                                   int32_t ox, const int8_t *filter) {                                     \
    acc_t acc = 0;                                                                                          \
    const int32_t ty = oy + p->pad_top, tx = ox + p->pad_left;                                              \
    for (int32_t ky = ty % p->stride_h; ky < p->kernel_h && ky <= ty; ky += p->stride_h) {                  \
      const int32_t iy = (ty - ky) / p->stride_h;                                                           \
      if (iy >= p->in_h) continue;                                                                          \
      for (int32_t kx = tx % p->stride_w; kx < p->kernel_w && kx <= tx; kx += p->stride_w) {                \
        const int32_t ix = (tx - kx) / p->stride_w;                                                         \
        if (ix >= p->in_w) continue;                                                                        \
        const act_t *in = image + (iy * p->in_w + ix) * p->in_c;                                            \
        const int8_t *w = filter + (ky * p->kernel_w + kx) * p->in_c;                                       \
        for (int32_t c = 0; c < p->in_c; ++c) acc += (in[c] + p->input_offset) * w[c];                     \
      }                                                                                                     \
    }                                                                                                       \
    return acc;                                                                                             \
  }                                                                                                         \
                                                                                                            \
  void tg_transpose_conv_##suffix(const tg_transpose_conv_params *p, const act_t *input, act_t *output) {   \
    const int32_t filter_size = p->kernel_h * p->kernel_w * p->in_c;                                        \
    for (int32_t b = 0; b < p->batches; ++b) {                                                              \
      const act_t *image = input + b * p->in_h * p->in_w * p->in_c;                                         \
      for (int32_t oy = 0; oy < p->out_h; ++oy) {                                                           \
        for (int32_t ox = 0; ox < p->out_w; ++ox) {                                                         \
          for (int32_t oc = 0; oc < p->out_c; ++oc) {                                                       \
            const acc_t acc = accumulate_##suffix(p, image, oy, ox, p->weights + oc * filter_size);         \
            *output++ = TG_CHANNEL_OUTPUT(p, act_t, acc_t, requantize, oc, acc);                            \
          }                                                                                                 \
        }                                                                                                   \
      }                                                                                                     \
    }                                                                                                       \
  }

TG_TRANSPOSE_CONV_DEFINE(s8, int8_t, int32_t, tg_requantize)
TG_TRANSPOSE_CONV_DEFINE(s16, int16_t, int64_t, tg_requantize_64)
