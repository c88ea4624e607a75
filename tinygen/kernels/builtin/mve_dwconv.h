/* Helium (MVE) depthwise convolution (DEPTHWISE_CONV_2D, depth multiplier 1) for the Cortex-M55:
 * four channels per vector, two output pixels of a row per pass where their windows lie inside.
 *
 * Per tap a vector of four weights (VLDRB.S32 widens them) meets each pixel's four input values
 * (widened likewise) in a VMUL and a VADD (MVE's integer VMLA takes a scalar, not a vector). The
 * input zero point is folded into the bias (bias + input_offset * sum(weights)), so a pixel whose
 * window lies inside the input reads it where it is, and a pixel with taps outside (the border)
 * first copies its window into the scratch, those taps holding -input_offset. A last partial
 * group of channels loads and stores under a predicate, reading nothing past the pixel.
 *
 * mve_dwconv_s8_inline is an always-inline body (the call site folds the layer's shapes);
 * MVE_DWCONV_TILES makes it out of line per layer, for patch-based tiles.
 */
#ifndef MVE_DWCONV_H
#define MVE_DWCONV_H

#include <stdint.h>

#include "mve_common.h"

typedef struct {
  int32_t batches, in_h, in_w, channels, out_h, out_w, kernel_h, kernel_w, stride_h, stride_w;
  int32_t dilation_h, dilation_w, pad_top, pad_left, input_offset;
  int32_t inner_y0, inner_y1, inner_x0, inner_x1; /* outputs whose window is inside: [y0, y1) x [x0, x1) */
  int32_t left_shift, sign_fix, output_offset, act_min, act_max; /* requantization (mve_common.h) */
  const int8_t *weights; /* [channels / 4 rounded up][kernel_h][kernel_w][4 channels], zero-padded */
  /* Per group of four channels: */
  const int32_t *bias;   /* [channels / 4 rounded up][4]: bias + input_offset * sum(weights) */
  const int32_t *rq;     /* [channels / 4 rounded up, or 1][record words (mve_common.h)] */
  int32_t rq_stride;     /* a record's words, or 0: one record for all */
  int32_t reverse;       /* 1: last pixel first, so the output may sit above its input */
} mve_dwconv_params;

/* One tap of four channels: *a += x[0..3] * (*w)[0..3], widened, *w advanced past them; tap2 for two
 * pixels. In assembly so that GCC keeps each tap's loads next to their use (on its own it hoists
 * every load of the window first and spills the vectors). Widening loads take low registers ("l"). */
MVE_ALWAYS_INLINE void mve_dwconv_tap(const int8_t *x, const int8_t **w, int32x4_t *a) {
  int32x4_t t, u;
  __asm__("vldrb.s32 %q[t], [%[x]]\n\t"
          "vldrb.s32 %q[u], [%[w]], #4\n\t"
          "vmul.i32 %q[t], %q[t], %q[u]\n\t"
          "vadd.i32 %q[a], %q[a], %q[t]"
          : [a] "+w"(*a), [t] "=&w"(t), [u] "=&w"(u), [w] "+l"(*w)
          : [x] "l"(x), "m"(*(const int8_t(*)[4])x));
}

MVE_ALWAYS_INLINE void mve_dwconv_tap2(const int8_t *x, const int8_t *x1, const int8_t **w, int32x4_t *a0,
                                       int32x4_t *a1) {
  int32x4_t t, u;
  __asm__("vldrb.s32 %q[u], [%[w]], #4\n\t"
          "vldrb.s32 %q[t], [%[x]]\n\t"
          "vmul.i32 %q[t], %q[t], %q[u]\n\t"
          "vadd.i32 %q[a0], %q[a0], %q[t]\n\t"
          "vldrb.s32 %q[t], [%[x1]]\n\t"
          "vmul.i32 %q[t], %q[t], %q[u]\n\t"
          "vadd.i32 %q[a1], %q[a1], %q[t]"
          : [a0] "+w"(*a0), [a1] "+w"(*a1), [t] "=&w"(t), [u] "=&w"(u), [w] "+l"(*w)
          : [x] "l"(x), [x1] "l"(x1), "m"(*(const int8_t(*)[4])x), "m"(*(const int8_t(*)[4])x1));
}

/* One output pixel and, with `two`, the next of its row (`next` bytes further in the input), channels
 * in groups of four: the window's taps start at `base`, `row_pitch` bytes from one kernel row to the
 * next and `tap_pitch` from one tap to the next. */
MVE_ALWAYS_INLINE void mve_dwconv_pixels(const mve_dwconv_params *p, const int8_t *base, int32_t row_pitch,
                                         int32_t tap_pitch, int32_t next, int32_t two, int8_t *out) {
  const int32_t ch = p->channels, taps = p->kernel_h * p->kernel_w;
  const int32_t *bias = p->bias, *rq = p->rq;
  for (int32_t c = 0; c < ch; c += 4, bias += 4, rq += p->rq_stride) {
    const int32_t partial = c + 4 > ch;
    const mve_pred16_t pred = vctp32q((uint32_t)(ch - c));
    int32x4_t a0 = vdupq_n_s32(0), a1 = a0;
    /* Unrolled where the layer's window is a constant: each tap at a fixed offset from the group's
     * input pointer (kept opaque, so that GCC does not make an induction variable of every tap). */
    const int8_t *w = p->weights + c * taps, *x0 = base + c;
    MVE_OPAQUE(x0);
#pragma GCC unroll 8
    for (int32_t ky = 0; ky < p->kernel_h; ++ky) {
#pragma GCC unroll 8
      for (int32_t kx = 0; kx < p->kernel_w; ++kx) {
        const int8_t *x = x0 + ky * row_pitch + kx * tap_pitch;
        if (partial) {
          const int32x4_t wv = vldrbq_s32(w);
          a0 = vaddq_s32(a0, vmulq_s32(vldrbq_z_s32(x, pred), wv));
          if (two) a1 = vaddq_s32(a1, vmulq_s32(vldrbq_z_s32(x + next, pred), wv));
          w += 4;
        } else if (two) {
          mve_dwconv_tap2(x, x + next, &w, &a0, &a1);
        } else {
          mve_dwconv_tap(x, &w, &a0);
        }
      }
    }
    const int32x4_t y0 = MVE_REQUANTIZE(p, a0, bias, rq);
    if (partial) vstrbq_p_s32(out + c, y0, pred); else vstrbq_s32(out + c, y0);
    if (two) {
      const int32x4_t y1 = MVE_REQUANTIZE(p, a1, bias, rq);
      if (partial) vstrbq_p_s32(out + ch + c, y1, pred); else vstrbq_s32(out + ch + c, y1);
    }
  }
}

/* The window of output pixel (oy, ox) into col ([ky][kx][channel]), taps outside the input holding
 * the pad value (-input_offset: they add nothing to the folded bias's sums). */
MVE_ALWAYS_INLINE void mve_dwconv_column(const mve_dwconv_params *p, const int8_t *image, int32_t oy, int32_t ox,
                                         int8_t *col) {
  const int32_t ch = p->channels;
  const int32_t y0 = oy * p->stride_h - p->pad_top, x0 = ox * p->stride_w - p->pad_left;
  for (int32_t ky = 0; ky < p->kernel_h; ++ky) {
    const int32_t y = y0 + ky * p->dilation_h;
    for (int32_t kx = 0; kx < p->kernel_w; ++kx) {
      const int32_t x = x0 + kx * p->dilation_w;
      col = y < 0 || y >= p->in_h || x < 0 || x >= p->in_w ? mve_fill(col, -p->input_offset, ch)
                                                            : mve_copy(col, image + (y * p->in_w + x) * ch, ch);
    }
  }
}

/* Output pixel (oy, ox), with the next one of its row when `two`. */
MVE_ALWAYS_INLINE void mve_dwconv_at(const mve_dwconv_params *p, const int8_t *image, int32_t oy, int32_t ox,
                                     int32_t two, int8_t *col, int8_t *out) {
  const int32_t ch = p->channels;
  int8_t *o = out + (oy * p->out_w + ox) * ch;
  if (oy >= p->inner_y0 && oy < p->inner_y1 && ox >= p->inner_x0 && ox < p->inner_x1) {
    const int8_t *base = image + ((oy * p->stride_h - p->pad_top) * p->in_w + ox * p->stride_w - p->pad_left) * ch;
    const int32_t row_pitch = p->dilation_h * p->in_w * ch, tap_pitch = p->dilation_w * ch;
    if (two) {
      mve_dwconv_pixels(p, base, row_pitch, tap_pitch, p->stride_w * ch, 1, o);
    } else {
      mve_dwconv_pixels(p, base, row_pitch, tap_pitch, 0, 0, o);
    }
  } else {
    mve_dwconv_column(p, image, oy, ox, col);
    mve_dwconv_pixels(p, col, p->kernel_w * ch, ch, 0, 0, o);
  }
}

/* Whether (oy, ox) starts a pair: both it and the next pixel inside, at an even raster position
 * (the in-place bounds count pixels in such pairs). */
MVE_ALWAYS_INLINE int32_t mve_dwconv_pair_at(const mve_dwconv_params *p, int32_t oy, int32_t ox) {
  return oy >= p->inner_y0 && oy < p->inner_y1 && ox >= p->inner_x0 && ox + 1 < p->inner_x1 &&
         ((oy * p->out_w + ox) & 1) == 0;
}

MVE_ALWAYS_INLINE void mve_dwconv_s8_inline(const mve_dwconv_params *p, const int8_t *input, int8_t *output,
                                            void *scratch) {
  int8_t *col = (int8_t *)scratch;
  const int32_t ch = p->channels;
  for (int32_t b = 0; b < p->batches; ++b) {
    const int8_t *image = input + b * p->in_h * p->in_w * ch;
    int8_t *out = output + b * p->out_h * p->out_w * ch;
    if (p->reverse) { /* last pixel first, so that an output above its input is exact */
      for (int32_t oy = p->out_h - 1; oy >= 0; --oy) {
        for (int32_t ox = p->out_w - 1; ox >= 0; --ox) {
          const int32_t two = ox > 0 && mve_dwconv_pair_at(p, oy, ox - 1);
          if (two) {
            mve_dwconv_at(p, image, oy, --ox, 1, col, out);
          } else {
            mve_dwconv_at(p, image, oy, ox, 0, col, out);
          }
        }
      }
      continue;
    }
    for (int32_t oy = 0; oy < p->out_h; ++oy) {
      for (int32_t ox = 0; ox < p->out_w; ++ox) {
        if (mve_dwconv_pair_at(p, oy, ox)) {
          mve_dwconv_at(p, image, oy, ox++, 1, col, out);
        } else {
          mve_dwconv_at(p, image, oy, ox, 0, col, out);
        }
      }
    }
  }
}

/* Out of line, for the tiles of a patch-based stage, as MVE_CONV_TILES (MVE_DWCONV_TILE_FIXED in
 * tinygen/backends/builtin_mve.py; each tile's extent, padding, inner bounds and direction stay
 * run-time). */
#define MVE_DWCONV_TILES(name, fix)                                                          \
  void name(const mve_dwconv_params *p, const int8_t *input, int8_t *output, void *scratch) { \
    mve_dwconv_params k = *p;                                                                \
    fix;                                                                                     \
    mve_dwconv_s8_inline(&k, input, output, scratch);                                        \
  }

#endif
