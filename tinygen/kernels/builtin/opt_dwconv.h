/* Optimized depthwise convolution with depth multiplier 1 (DEPTHWISE_CONV_2D), NHWC int8.
 *
 * Four channels at a time: one input word per tap, SXTAB16 adds the input offset while widening
 * the channel pairs (0, 2) and (1, 3), and four SMLAxy multiply them with weights stored as 16-bit
 * pairs in the same order (prepared at generation time: [group][tap][2] words). Taps outside the
 * input are skipped; a pixel whose window lies inside takes the branch-free path, with every tap
 * at a constant offset for windows up to 5x5, and so do the border pixels of a layer's own call
 * (opt_dwconv_row: their clipped bounds fold). Channels past the last multiple of 4 go one at a
 * time.
 *
 * opt_dwconv_s8_inline is the always-inline body (each layer's call site gets its own code with the
 * shapes folded in); OPT_DWCONV_TILES makes it out of line per layer for patch-based tiles.
 */
#ifndef OPT_DWCONV_H
#define OPT_DWCONV_H

#include <stdint.h>

#include "opt_common.h"

typedef struct {
  int32_t batches, in_h, in_w, channels, out_h, out_w;
  int32_t kernel_h, kernel_w, stride_h, stride_w, dilation_h, dilation_w, pad_top, pad_left;
  int32_t input_offset;
  int32_t inner_y0, inner_y1, inner_x0, inner_x1; /* output pixels whose window lies inside the input */
  int32_t exact, sign_fix, output_offset, act_min, act_max; /* requantization (opt_common.h) */
  const int32_t *weights; /* groups of 4 channels: [group][tap][2] 16-bit pairs (c0,c2), (c1,c3);
                             then the remaining channels: [tap][channel] as int32 (both doubled
                             outside exact mode, see opt_common.h) */
  const int32_t *bias;    /* [channels] (doubled outside exact mode) */
  const int32_t *rq;      /* [channels][3]: requantization constants (opt_common.h) */
  int32_t reverse;        /* 1: last pixel first, so the output may sit above its input */
} opt_dwconv_params;

#if TG_DSP
/* One tap of four channels: x (4 input bytes) widened with the input offset, times w02 / w13. */
#define OPT_DWCONV_TAP(x, w02, w13)                                                    \
  {                                                                                  \
    const uint32_t even = tg_sxtab16(offset2, x), odd = tg_sxtab16_ror8(offset2, x); \
    a0 = tg_smlabb(even, w02, a0);                                                   \
    a2 = tg_smlatt(even, w02, a2);                                                   \
    a1 = tg_smlabb(odd, w13, a1);                                                    \
    a3 = tg_smlatt(odd, w13, a3);                                                    \
  }
#else
/* Without the DSP extension, byte by byte instead of emulating SXTAB16 and SMLAxy (faster on the
 * emulated Cortex-M0 and M3); the values are the same: x + offset fits 16 bits, so SXTAB16 never
 * wraps. */
#define OPT_DWCONV_TAP(x, w02, w13)                                    \
  {                                                                  \
    const int32_t offset = tg_lane_bottom(offset2);                  \
    a0 += ((int8_t)(x) + offset) * tg_lane_bottom(w02);              \
    a1 += ((int8_t)((x) >> 8) + offset) * tg_lane_bottom(w13);       \
    a2 += ((int8_t)((x) >> 16) + offset) * tg_lane_top(w02);         \
    a3 += (((int32_t)(x) >> 24) + offset) * tg_lane_top(w13);        \
  }
#endif

/* Accumulators a0..a3 of channels 4g..4g+3 += the window's taps ky0..ky1-1, kx0..kx1-1; the first of
 * them reads input bytes at px, the next one col_step further, the next row row_step further. */
#define OPT_DWCONV_TAPS(px, ky0, ky1, kx0, kx1, UNROLL)                                                \
  {                                                                                                  \
    const int8_t *tap_row = (px);                                                                    \
    _Pragma(UNROLL) for (int32_t ky = (ky0); ky < (ky1); ++ky) {                                     \
      const int8_t *tap = tap_row;                                                                   \
      _Pragma(UNROLL) for (int32_t kx = (kx0); kx < (kx1); ++kx) {                                   \
        const uint32_t x = tg_read32(tap);                                                           \
        const uint32_t w02 = (uint32_t)w[2 * (ky * p->kernel_w + kx)];                               \
        const uint32_t w13 = (uint32_t)w[2 * (ky * p->kernel_w + kx) + 1];                           \
        OPT_DWCONV_TAP(x, w02, w13)                                                                  \
        TG_BARRIER4(a0, a1, a2, a3);                                                                 \
        tap += col_step;                                                                             \
      }                                                                                              \
      tap_row += row_step;                                                                           \
    }                                                                                                \
  }

/* Whether the taps of a window inside the input unroll into fixed offsets from one pointer: for
 * windows known at compile time (the call site's constants folded in) and up to 5x5 (3x3 for the
 * portable code, whose unrolled form is large and slow to compile). */
#define OPT_DWCONV_UNROLL_TAPS (TG_DSP ? 25 : 9)
#if defined(__GNUC__)
#define OPT_DWCONV_KNOWN(x) __builtin_constant_p(x)
#else
#define OPT_DWCONV_KNOWN(x) 0
#endif
#define OPT_DWCONV_UNROLLED(p) \
  (OPT_DWCONV_KNOWN((p)->kernel_h * (p)->kernel_w) && (p)->kernel_h * (p)->kernel_w <= OPT_DWCONV_UNROLL_TAPS)
/* Whether the call site knows where the border pixels are (a layer's own call: its params folded).
 * Not on ARMv6-M, where the folded border loops measured no faster (kws_dscnn on the emulated M0:
 * 16,994,559 instructions without them, 17,050,888 with) for 23 KB more flash. */
#if defined(__ARM_ARCH_6M__)
#define OPT_DWCONV_FOLDS 0
#else
#define OPT_DWCONV_FOLDS 1
#endif
#define OPT_DWCONV_FOLDED(p)                                                                           \
  (OPT_DWCONV_FOLDS && OPT_DWCONV_KNOWN((p)->inner_y0 + (p)->inner_y1 + (p)->out_h) &&                                      \
   OPT_DWCONV_KNOWN((p)->inner_x0 + (p)->inner_x1 + (p)->out_w) && OPT_DWCONV_KNOWN((p)->reverse))

/* One output pixel whose window starts at input (y0, x0); taps ky0..ky1-1, kx0..kx1-1 lie inside.
 * Where the bounds are compile-time constants (a pixel inside, or a border pixel the loops below
 * single out), the taps unroll into fixed offsets. */
TG_ALWAYS_INLINE void opt_dwconv_pixel(const opt_dwconv_params *p, const int8_t *image, int32_t y0, int32_t x0,
                                       int32_t ky0, int32_t ky1, int32_t kx0, int32_t kx1, int8_t *out) {
  const int32_t c = p->channels, groups = c / 4, rest = c - 4 * groups, taps = p->kernel_h * p->kernel_w;
  const int32_t row_step = p->dilation_h * p->in_w * c, col_step = p->dilation_w * c;
  const uint32_t offset2 = tg_lanes(p->input_offset, p->input_offset);
  const int32_t *w = p->weights;
  const int32_t *bias = p->bias;
  const int32_t *q = p->rq;
  /* The first tap inside the input. */
  const int8_t *first = image + ((y0 + ky0 * p->dilation_h) * p->in_w + x0 + kx0 * p->dilation_w) * c;
  for (int32_t g = 0; g < groups; ++g) {
    int32_t a0 = bias[0], a1 = bias[1], a2 = bias[2], a3 = bias[3];
    if (OPT_DWCONV_UNROLLED(p) && OPT_DWCONV_KNOWN(ky0 + 64 * (ky1 + 64 * (kx0 + 64 * kx1)))) {
      OPT_DWCONV_TAPS(first, ky0, ky1, kx0, kx1, "GCC unroll 25")
    } else {
      OPT_DWCONV_TAPS(first, ky0, ky1, kx0, kx1, "GCC unroll 1")
    }
    const opt_rq r0 = opt_rq_load(q), r1 = opt_rq_load(q + 3), r2 = opt_rq_load(q + 6), r3 = opt_rq_load(q + 9);
    out[0] = (int8_t)OPT_REQUANTIZE_X2(p, a0, r0);
    out[1] = (int8_t)OPT_REQUANTIZE_X2(p, a1, r1);
    out[2] = (int8_t)OPT_REQUANTIZE_X2(p, a2, r2);
    out[3] = (int8_t)OPT_REQUANTIZE_X2(p, a3, r3);
    first += 4;
    out += 4;
    w += 2 * taps;
    bias += 4;
    q += 12;
  }
  for (int32_t r = 0; r < rest; ++r) {
    int32_t acc = bias[r];
    for (int32_t ky = ky0; ky < ky1; ++ky) {
      for (int32_t kx = kx0; kx < kx1; ++kx) {
        const int32_t x = first[(ky - ky0) * row_step + (kx - kx0) * col_step + r];
        acc += (x + p->input_offset) * w[(ky * p->kernel_w + kx) * rest + r];
      }
    }
    out[r] = (int8_t)OPT_REQUANTIZE_X2(p, acc, opt_rq_load(q + 3 * r));
  }
}

/* Output pixel (oy, ox); inner_y, inner_x: its window lies inside the input vertically,
 * horizontally (the bounds of those taps are then the whole window). */
TG_ALWAYS_INLINE void opt_dwconv_at(const opt_dwconv_params *p, const int8_t *image, int32_t oy, int32_t ox,
                                    int32_t inner_y, int32_t inner_x, int8_t *out) {
  const int32_t y0 = oy * p->stride_h - p->pad_top, x0 = ox * p->stride_w - p->pad_left;
  if (inner_y && inner_x) { /* its own copy where the flags are known only at run time */
    opt_dwconv_pixel(p, image, y0, x0, 0, p->kernel_h, 0, p->kernel_w, out);
    return;
  }
  int32_t ky0 = 0, ky1 = p->kernel_h, kx0 = 0, kx1 = p->kernel_w;
  if (!inner_y) {
    while (ky0 < ky1 && y0 + ky0 * p->dilation_h < 0) ++ky0;
    while (ky1 > ky0 && y0 + (ky1 - 1) * p->dilation_h >= p->in_h) --ky1;
  }
  if (!inner_x) {
    while (kx0 < kx1 && x0 + kx0 * p->dilation_w < 0) ++kx0;
    while (kx1 > kx0 && x0 + (kx1 - 1) * p->dilation_w >= p->in_w) --kx1;
  }
  opt_dwconv_pixel(p, image, y0, x0, ky0, ky1, kx0, kx1, out);
}

/* Pixels [x_begin, x_end) of row oy in the run's direction, all inside horizontally (inner_x) or not. */
TG_ALWAYS_INLINE void opt_dwconv_span(const opt_dwconv_params *p, const int8_t *image, int32_t oy, int32_t inner_y,
                                      int32_t inner_x, int32_t x_begin, int32_t x_end, int8_t *out_row) {
  for (int32_t j = 0; j < x_end - x_begin; ++j) {
    const int32_t ox = p->reverse ? x_end - 1 - j : x_begin + j;
    opt_dwconv_at(p, image, oy, ox, inner_y, inner_x, out_row + ox * p->channels);
  }
}

/* Row oy as three spans: the pixels left of, inside and right of the inner columns. */
TG_ALWAYS_INLINE void opt_dwconv_row(const opt_dwconv_params *p, const int8_t *image, int32_t oy, int32_t inner_y,
                                     int8_t *out_row) {
  const int32_t x0 = p->inner_x0, x1 = p->inner_x1, w = p->out_w, first = p->reverse ? x1 : 0;
  const int32_t last = p->reverse ? 0 : x1;
  opt_dwconv_span(p, image, oy, inner_y, 0, first, p->reverse ? w : x0, out_row);
  opt_dwconv_span(p, image, oy, inner_y, 1, x0, x1, out_row);
  opt_dwconv_span(p, image, oy, inner_y, 0, last, p->reverse ? x0 : w, out_row);
}

/* Rows [y_begin, y_end) in the run's direction, all inside vertically (inner_y) or not. */
TG_ALWAYS_INLINE void opt_dwconv_rows_of(const opt_dwconv_params *p, const int8_t *image, int32_t inner_y,
                                         int32_t y_begin, int32_t y_end, int8_t *out) {
  for (int32_t i = 0; i < y_end - y_begin; ++i) {
    const int32_t oy = p->reverse ? y_end - 1 - i : y_begin + i;
    opt_dwconv_row(p, image, oy, inner_y, out + oy * p->out_w * p->channels);
  }
}

/* Raster order, or (reverse) its opposite. Where the call site knows where the border pixels are
 * (a layer's own call), the rows above, inside and below the inner ones, and in each row the
 * pixels left of, inside and right of the inner ones, run as loops of their own: a border loop's
 * few pixels unroll, their taps' bounds folded (fixed offsets, as inside). Elsewhere (the
 * out-of-line variants) one loop over all pixels. */
TG_ALWAYS_INLINE void opt_dwconv_s8_inline(const opt_dwconv_params *p, const int8_t *input, int8_t *output) {
  const int32_t c = p->channels, y0 = p->inner_y0, y1 = p->inner_y1, h = p->out_h;
  const int32_t step = p->reverse ? -1 : 1;
  for (int32_t b = 0; b < p->batches; ++b) {
    const int8_t *image = input + b * p->in_h * p->in_w * c;
    int8_t *out = output + b * p->out_h * p->out_w * c;
    if (OPT_DWCONV_FOLDED(p)) {
      opt_dwconv_rows_of(p, image, 0, p->reverse ? y1 : 0, p->reverse ? h : y0, out);
      opt_dwconv_rows_of(p, image, 1, y0, y1, out);
      opt_dwconv_rows_of(p, image, 0, p->reverse ? 0 : y1, p->reverse ? y0 : h, out);
      continue;
    }
    for (int32_t i = 0, oy = p->reverse ? h - 1 : 0; i < h; ++i, oy += step) {
      const int32_t inner_row = oy >= y0 && oy < y1;
      for (int32_t j = 0, ox = p->reverse ? p->out_w - 1 : 0; j < p->out_w; ++j, ox += step) {
        const int32_t inner = inner_row && ox >= p->inner_x0 && ox < p->inner_x1;
        opt_dwconv_at(p, image, oy, ox, inner, inner, out + (oy * p->out_w + ox) * c);
      }
    }
  }
}

/* Out of line, for call sites that run many times (the tiles of a patch-based stage): model.c
 * defines one function per layer, `static OPT_DWCONV_TILES(name, (k.channels = 16, ...))`, with the
 * fields all its tiles share fixed (DWCONV_TILE_FIXED in tinygen/backends/builtin.py), so that the
 * compiler specializes the body for the layer (channel groups, taps, requantization) as it does a
 * layer-based call's; each tile's extent, padding and inner bounds stay run-time but on cores with
 * the DSP extension, which get a function per tile shape (DWCONV_TILE_SHAPE); its direction always
 * does. */
#define OPT_DWCONV_TILES(name, fix)                                                      \
  void name(const opt_dwconv_params *p, const int8_t *input, int8_t *output) {             \
    opt_dwconv_params k = *p;                                                              \
    fix;                                                                                   \
    opt_dwconv_s8_inline(&k, input, output);                                               \
  }

#endif
