/* Helium (MVE) 2-D convolution (CONV_2D, and DEPTHWISE_CONV_2D with one input channel) for the
 * Cortex-M55: im2col into int8 columns, two output pixels by two output channels per pass.
 *
 * The windows of two consecutive output pixels (raster order) are copied into the scratch as int8
 * columns of `depth` values (window order (ky, kx, c); taps outside the input hold the input zero
 * point, which the generation-time bias compensates: bias - zero_point * sum(weights)). Then each
 * pair of output channels runs over both columns at once: per 16 values two column loads, two
 * weight loads and four VMLADAVA (16 multiply-accumulates each), in a tail-predicated loop
 * (mve_common.h). The four accumulators are requantized as one vector and scattered to
 * out[pixel][channel]. A last odd pixel reuses its own column for the second; a last odd channel
 * has zero weights, and the store leaves out what does not exist.
 *
 * mve_conv_s8_inline is an always-inline body: called with the address of a `static const`
 * params struct, the compiler folds the layer's shapes into the call site. MVE_CONV_TILES makes
 * it out of line per layer, for patch-based tiles.
 */
#ifndef MVE_CONV_H
#define MVE_CONV_H

#include <stdint.h>

#include "mve_common.h"

typedef struct {
  int32_t batches, in_h, in_w, in_c, out_h, out_w, out_c;
  int32_t kernel_h, kernel_w, stride_h, stride_w, dilation_h, dilation_w, pad_top, pad_left;
  int32_t pointwise;  /* 1: a 1x1 window without padding, each column one input pixel */
  int32_t depth;      /* column length: kernel_h * kernel_w * in_c */
  int32_t stride16;   /* depth rounded up to 16: the columns' and the weights' pitch */
  int32_t pad_value;  /* the input zero point, read by taps outside the input */
  int32_t left_shift, sign_fix, output_offset, act_min, act_max; /* requantization (mve_common.h) */
  const int8_t *weights; /* [out_c / 2 rounded up][stride16 / 16][2 channels][16], zero-padded */
  /* Per pair of channels, lanes (p0 c0, p0 c1, p1 c0, p1 c1): */
  const int32_t *bias;   /* [out_c / 2 rounded up][4]: bias - input zero point * sum(weights) */
  const int32_t *rq;     /* [out_c / 2 rounded up, or 1][record words (mve_common.h)] */
  int32_t rq_stride;     /* a record's words, or 0: one record for all */
  int32_t reverse;       /* 1: last pair first, so the output may sit above its input */
} mve_conv_params;

/* Scratch: two columns of stride16 bytes. */

/* The window of output pixel (oy, ox) into col, in (ky, kx, c) order. */
MVE_ALWAYS_INLINE void mve_conv_window(const mve_conv_params *p, const int8_t *image, int32_t oy, int32_t ox,
                                       int8_t *col) {
  const int32_t y0 = oy * p->stride_h - p->pad_top, x0 = ox * p->stride_w - p->pad_left;
  const int32_t c = p->in_c, row_bytes = p->kernel_w * c;
  if (p->pointwise) {
    mve_copy(col, image + (y0 * p->in_w + x0) * c, c);
    return;
  }
  const int32_t whole_row = p->dilation_w == 1 && x0 >= 0 && x0 + p->kernel_w <= p->in_w;
  for (int32_t ky = 0; ky < p->kernel_h; ++ky) {
    const int32_t y = y0 + ky * p->dilation_h;
    if (y < 0 || y >= p->in_h) {
      col = mve_fill(col, p->pad_value, row_bytes);
    } else if (whole_row) {
      col = mve_copy(col, image + (y * p->in_w + x0) * c, row_bytes);
    } else {
      for (int32_t kx = 0; kx < p->kernel_w; ++kx) {
        const int32_t x = x0 + kx * p->dilation_w;
        col = x < 0 || x >= p->in_w ? mve_fill(col, p->pad_value, c)
                                    : mve_copy(col, image + (y * p->in_w + x) * c, c);
      }
    }
  }
}

/* Output pixels first and first + 1 (pixels: 2, or 1 for the last of an odd count). */
MVE_ALWAYS_INLINE void mve_conv_pair(const mve_conv_params *p, const int8_t *image, int32_t first, int32_t pixels,
                                     int8_t *col, int8_t *out) {
  int8_t *c1 = pixels == 2 ? col + p->stride16 : col;
  const int32_t out_w = p->out_w, n = p->out_c;
  mve_conv_window(p, image, first / out_w, first % out_w, col);
  if (pixels == 2) mve_conv_window(p, image, (first + 1) / out_w, (first + 1) % out_w, c1);
  /* Lanes (p0 c0, p0 c1, p1 c0, p1 c1) at these byte offsets from the pair's first output. */
  const uint32x4_t offsets = vsetq_lane_u32((uint32_t)n + 1u, vsetq_lane_u32((uint32_t)n,
                                            vsetq_lane_u32(1u, vdupq_n_u32(0u), 1), 2), 3);
  const mve_pred16_t both = mve_lanes(pixels == 2 ? 4 : 2);
  const mve_pred16_t last = mve_predicate(pixels == 2 ? 0x0F0Fu : 0x000Fu); /* lanes of channel c0 */
  out += first * n;
  const int8_t *w = p->weights;
  const int32_t *bias = p->bias, *rq = p->rq;
  for (int32_t oc = 0; oc < n; oc += 2) {
    int32_t acc[4];
    mve_dot_2x2(col, c1, w, p->depth, acc);
    const int32x4_t y = MVE_REQUANTIZE(p, mve_pack4(acc[0], acc[1], acc[2], acc[3]), bias, rq);
    vstrbq_scatter_offset_p_s32(out + oc, offsets, y, oc + 1 < n ? both : last);
    w += 2 * p->stride16;
    bias += 4;
    rq += p->rq_stride;
  }
}

MVE_ALWAYS_INLINE void mve_conv_s8_inline(const mve_conv_params *p, const int8_t *input, int8_t *output,
                                          void *scratch) {
  const int32_t pixels = p->out_h * p->out_w;
  int8_t *col = (int8_t *)scratch;
  for (int32_t b = 0; b < p->batches; ++b) {
    const int8_t *image = input + b * p->in_h * p->in_w * p->in_c;
    int8_t *out = output + b * pixels * p->out_c;
    const int32_t pairs = pixels / 2;
    /* Pairs in raster order then a last odd pixel, or (reverse) that pixel then the pairs last to first. */
    if (p->reverse && (pixels & 1)) mve_conv_pair(p, image, pixels - 1, 1, col, out);
    for (int32_t i = 0; i < pairs; ++i) mve_conv_pair(p, image, 2 * (p->reverse ? pairs - 1 - i : i), 2, col, out);
    if (!p->reverse && (pixels & 1)) mve_conv_pair(p, image, pixels - 1, 1, col, out);
  }
}

/* Out of line, for the tiles of a patch-based stage: model.c defines one function per layer,
 * `static MVE_CONV_TILES(name, (k.in_c = 16, ...))`, the fields all its tiles share fixed
 * (MVE_CONV_TILE_FIXED in tinygen/backends/builtin_mve.py) and folded as in a layer's own call;
 * each tile's extent, padding and direction stay run-time. */
#define MVE_CONV_TILES(name, fix)                                                          \
  void name(const mve_conv_params *p, const int8_t *input, int8_t *output, void *scratch) { \
    mve_conv_params k = *p;                                                                \
    fix;                                                                                   \
    mve_conv_s8_inline(&k, input, output, scratch);                                        \
  }

#endif
