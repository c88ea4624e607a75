/* Optimized depthwise convolution with depth multiplier 1 (DEPTHWISE_CONV_2D), NHWC int8, by
 * rows of channel planes: SMLAD over pairs of horizontal taps.
 *
 * Per output row, the input rows its windows need enter a ring of `kernel_h` rows per channel
 * ("band"): each channel a plane of 16-bit values with the input offset added, and zeros where the
 * window reaches past the input (so every output pixel, border or not, runs the same code). Each
 * row is stored twice, in slots t % kernel_h and t % kernel_h + kernel_h, so that any output row's
 * kernel rows lie one after another, at fixed offsets from one pointer. Every input row is widened
 * once; the band costs 4 * kernel_h bytes of scratch per input column and channel, which is why
 * --optimize memory keeps opt_dwconv.
 *
 * A word of a plane row is two horizontally adjacent taps of one channel, which is what SMLAD
 * wants; the weights are stored per channel and kernel row as the matching pairs (prepared at
 * generation time). Output pixels go two at a time (horizontal stride 1), ox and ox + 1, reading
 * the same words: the second pixel's pairs are the first's shifted by one tap, so it has weight
 * words of its own, (w[2j-1], w[2j]). Per output pair and kernel row of a 3-wide window: two data
 * words, four weight words, four SMLAD for six multiply-accumulates. Filling the band and setting
 * up each channel's row cost about as much as a few output pairs, which wide rows repay (narrow
 * ones and stride 2 keep opt_dwconv).
 *
 * A row's windows are all read (into the band) before any of its outputs is written, which is the
 * in-place bound the generator declares (a block of one output row). Rows go front to back only.
 *
 * opt_dwconv_rows_s8_inline is an always-inline body; called with the address of a `static const`
 * params struct, the shapes fold into the call site.
 */
#ifndef OPT_DWCONV_ROWS_H
#define OPT_DWCONV_ROWS_H

#include <stdint.h>

#include "opt_common.h"

typedef struct {
  int32_t batches, in_h, in_w, channels, out_h, out_w;
  int32_t kernel_h, kernel_w, stride_h, pad_top, pad_left; /* horizontal stride 1 */
  int32_t input_offset;
  int32_t band_w;     /* 16-bit values per plane row (even): band column b is input column b - pad_left */
  int32_t pair_words; /* data words per output pair and kernel row: kernel_w / 2 + 1 */
  int32_t exact, sign_fix, output_offset, act_min, act_max; /* requantization (opt_common.h) */
  /* Per channel and kernel row, pair_words times the 16-bit pairs (w[2j], w[2j+1]) for the first
   * pixel and (w[2j-1], w[2j]) for the second; taps past the window are 0. Doubled outside exact
   * mode (opt_common.h), as is the bias. */
  const int32_t *weights;
  const int32_t *bias; /* [channels] */
  const int32_t *rq;   /* [channels][3]: requantization constants (opt_common.h) */
} opt_dwconv_rows_params;

/* Scratch: channels * 2 * kernel_h plane rows of band_w int16 (4-byte aligned). */

/* A word of a band row in four channel planes (`plane` words apart), and in the row's copy
 * (`copy` words further). */
TG_ALWAYS_INLINE void opt_dwconv_rows_store(uint32_t *dst, int32_t plane, int32_t copy, uint32_t c0, uint32_t c1,
                                            uint32_t c2, uint32_t c3) {
  dst[0] = c0, dst[copy] = c0;
  dst[plane] = c1, dst[plane + copy] = c1;
  dst[2 * plane] = c2, dst[2 * plane + copy] = c2;
  dst[3 * plane] = c3, dst[3 * plane + copy] = c3;
}

/* Band columns b, b + 1 of four channel planes from the 4-byte words x0, x1 of input pixels
 * b - pad_left and b + 1 - pad_left: PKHBT/PKHTB put the same channels of the two pixels side by
 * side, SXTAB16 widens them with the offset added. */
TG_ALWAYS_INLINE void opt_dwconv_rows_put(uint32_t offset2, uint32_t x0, uint32_t x1, uint32_t *dst, int32_t plane,
                                          int32_t copy) {
  const uint32_t low = tg_pkhbt(x0, x1), high = tg_pkhtb(x1, x0); /* channels 0, 1 and 2, 3 of both */
  opt_dwconv_rows_store(dst, plane, copy, tg_sxtab16(offset2, low), tg_sxtab16_ror8(offset2, low),
                        tg_sxtab16(offset2, high), tg_sxtab16_ror8(offset2, high));
}

/* One row of four channel planes from the input row at `row` (its channel 0 being the group's
 * first), or zeros (!valid). Pairs of columns wholly inside the input take the branch-free path. */
TG_ALWAYS_INLINE void opt_dwconv_rows_fill4(const opt_dwconv_rows_params *p, const int8_t *row, int32_t valid,
                                            uint32_t *dst, int32_t plane, int32_t copy) {
  const uint32_t offset2 = tg_lanes(p->input_offset, p->input_offset);
  const int32_t c = p->channels, inside0 = p->pad_left, inside1 = p->pad_left + p->in_w;
  const int32_t fast0 = valid ? (inside0 + 1) & ~1 : p->band_w, fast1 = valid ? inside1 - 1 : 0;
  for (int32_t b = 0; b < p->band_w; b += 2) {
    if (b >= fast0 && b < fast1) {
      const int8_t *x = row + (b - p->pad_left) * c;
      opt_dwconv_rows_put(offset2, tg_read32(x), tg_read32(x + c), dst + b / 2, plane, copy);
      continue;
    }
    const int32_t in0 = valid && b >= inside0 && b < inside1, in1 = valid && b + 1 >= inside0 && b + 1 < inside1;
    if (!in0 && !in1) {
      opt_dwconv_rows_store(dst + b / 2, plane, copy, 0, 0, 0, 0);
      continue;
    }
    /* One column inside: the other's bytes read as the zero point (-offset), which widens to 0,
     * as columns past the input must. */
    const uint32_t zero_point = (uint32_t)(uint8_t)(-p->input_offset) * 0x01010101u;
    const uint32_t x0 = in0 ? tg_read32(row + (b - p->pad_left) * c) : zero_point;
    const uint32_t x1 = in1 ? tg_read32(row + (b + 1 - p->pad_left) * c) : zero_point;
    opt_dwconv_rows_put(offset2, x0, x1, dst + b / 2, plane, copy);
  }
}

/* Padded input row t (input row t - pad_top, or zeros) into ring slot t % kernel_h of every plane,
 * and its copy kernel_h slots further. */
TG_ALWAYS_INLINE void opt_dwconv_rows_fill(const opt_dwconv_rows_params *p, const int8_t *image, int32_t t,
                                           uint32_t *band) {
  const int32_t y = t - p->pad_top, row_words = p->band_w / 2, plane = 2 * p->kernel_h * row_words;
  const int32_t valid = y >= 0 && y < p->in_h;
  const int8_t *row = image + (valid ? y : 0) * p->in_w * p->channels;
  uint32_t *dst = band + (t % p->kernel_h) * row_words;
  for (int32_t ch = 0; ch < p->channels; ch += 4) {
    opt_dwconv_rows_fill4(p, row + ch, valid, dst + ch * plane, plane, p->kernel_h * row_words);
  }
}

/* Kernel row ky of the output pair: data words at rows + ky * row_words, the row's weight words at
 * *w (advanced to the next row). */
TG_ALWAYS_INLINE void opt_dwconv_rows_row(const opt_dwconv_rows_params *p, const uint32_t *rows, int32_t ky,
                                          const int32_t **w, int32_t *acc0, int32_t *acc1) {
  const int32_t row_words = p->band_w / 2;
  int32_t a0 = *acc0, a1 = *acc1;
#if TG_DSP && defined(__OPTIMIZE__)
  /* GCC neither merges the loads nor keeps the pointers in registers on its own: the two-word rows
   * (windows 2 or 3 wide) written out, each row at a constant offset from one pointer where the
   * build unrolled the kernel rows (else, -Og, at its own pointer). */
#define OPT_DWCONV_ROWS_PAIR(address, ...)                                                         \
  __asm__("ldrd %[d0], %[d1], " address "\n\t"                                                    \
          "ldmia %[w]!, {r0, r1, r2, r3}\n\t"                                                     \
          "smlad %[a0], %[d0], r0, %[a0]\n\t"                                                     \
          "smlad %[a1], %[d0], r1, %[a1]\n\t"                                                     \
          "smlad %[a0], %[d1], r2, %[a0]\n\t"                                                     \
          "smlad %[a1], %[d1], r3, %[a1]\n\t"                                                     \
          : [a0] "+r"(a0), [a1] "+r"(a1), [w] "+r"(*w), [d0] "=&r"(d0), [d1] "=&r"(d1)             \
          : __VA_ARGS__                                                                          \
          : "r0", "r1", "r2", "r3", "memory")
  if (p->pair_words == 2) {
    uint32_t d0, d1;
    if (__builtin_constant_p(4 * ky * row_words)) {
      OPT_DWCONV_ROWS_PAIR("[%[d], %[offset]]", [d] "r"(rows), [offset] "i"(4 * ky * row_words));
    } else {
      OPT_DWCONV_ROWS_PAIR("[%[d]]", [d] "r"(rows + ky * row_words));
    }
    *acc0 = a0, *acc1 = a1;
    return;
  }
#undef OPT_DWCONV_ROWS_PAIR
#endif
  const uint32_t *d = rows + ky * row_words;
  const int32_t *wr = *w;
  for (int32_t j = 0; j < p->pair_words; ++j) {
    a0 = tg_smlad(d[j], (uint32_t)wr[2 * j], a0);
    a1 = tg_smlad(d[j], (uint32_t)wr[2 * j + 1], a1);
  }
  *w = wr + 2 * p->pair_words;
  *acc0 = a0, *acc1 = a1;
}

/* The output row of channel ch whose kernel rows start at `rows` in the channel's plane. */
TG_ALWAYS_INLINE void opt_dwconv_rows_channel(const opt_dwconv_rows_params *p, const uint32_t *rows, int32_t ch,
                                              int8_t *out) {
  const int32_t c = p->channels, kh = p->kernel_h;
  const int32_t *w = p->weights + ch * kh * 2 * p->pair_words;
  const int32_t bias = p->bias[ch];
  const opt_rq r = opt_rq_load(p->rq + 3 * ch);
  out += ch;
  for (int32_t ox = 0; ox < p->out_w; ox += 2) {
    int32_t a0 = bias, a1 = bias;
    const int32_t *wr = w;
    _Pragma("GCC unroll 8") for (int32_t ky = 0; ky < kh; ++ky) {
      opt_dwconv_rows_row(p, rows, ky, &wr, &a0, &a1);
    }
    out[0] = (int8_t)OPT_REQUANTIZE_X2(p, a0, r);
    if (ox + 1 < p->out_w) out[c] = (int8_t)OPT_REQUANTIZE_X2(p, a1, r);
    out += 2 * c;
    rows += 1; /* the next pair: two band columns on */
  }
}

TG_ALWAYS_INLINE void opt_dwconv_rows_s8_inline(const opt_dwconv_rows_params *p, const int8_t *input,
                                                int8_t *output, void *scratch) {
  uint32_t *band = (uint32_t *)scratch;
  const int32_t c = p->channels, kh = p->kernel_h, row_words = p->band_w / 2, plane = 2 * kh * row_words;
  for (int32_t b = 0; b < p->batches; ++b) {
    const int8_t *image = input + b * p->in_h * p->in_w * c;
    int32_t filled = 0; /* padded rows below this one are in the band */
    for (int32_t oy = 0; oy < p->out_h; ++oy) {
      const int32_t top = oy * p->stride_h;
      for (int32_t t = filled > top ? filled : top; t < top + kh; ++t) opt_dwconv_rows_fill(p, image, t, band);
      filled = top + kh;
      const uint32_t *rows = band + (top % kh) * row_words;
      int8_t *out_row = output + (b * p->out_h + oy) * p->out_w * c;
      for (int32_t ch = 0; ch < c; ++ch) opt_dwconv_rows_channel(p, rows + ch * plane, ch, out_row);
    }
  }
}

#endif
