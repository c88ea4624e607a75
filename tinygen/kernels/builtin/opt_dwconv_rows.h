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
 * wants; the weights are stored per channel and kernel row as tap pairs, each tap once (prepared at
 * generation time, see opt_dwconv_rows_tap_row). A channel's outputs go in blocks of
 * OPT_DWCONV_ROWS_BLOCK, their accumulators in registers through all kernel rows: per kernel row of
 * a 3-wide window a block of four reads three data words and two weight words and runs eight
 * SMLAD/SMLABT/SMLATB for twelve multiply-accumulates. The generator keeps opt_dwconv for rows
 * narrower than 6 (where the band weighs most against the layer's own bytes) and for stride 2
 * (four new input values to widen per output: no faster).
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
  int32_t band_w; /* 16-bit values per plane row (even): band column b is input column b - pad_left */
  int32_t exact, sign_fix, output_offset, act_min, act_max; /* requantization (opt_common.h) */
  /* Per channel and kernel row, the 2 * (kernel_w / 2) words A[0..m-1], B[1..m] of 16-bit pairs
   * A[j] = (w[2j], w[2j+1]), B[j] = (w[2j-1], w[2j]) (opt_dwconv_rows_tap_row; w[kernel_w] = 0).
   * Doubled outside exact mode (opt_common.h), as is the bias. */
  const int32_t *weights;
  const int32_t *bias; /* [channels] */
  const int32_t *rq;   /* [channels][3]: requantization constants (opt_common.h) */
} opt_dwconv_rows_params;

/* Scratch: channels * 2 * kernel_h plane rows of band_w int16 (4-byte aligned). */

/* Outputs per block (even): their accumulators, the data words of a kernel row and its weights fit
 * the registers. */
#define OPT_DWCONV_ROWS_BLOCK 4

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

/* Band columns b, b + 1 of four channel planes where either may lie outside the input: its bytes
 * read as the zero point (-offset), which widens to 0, as columns past the input must. */
TG_ALWAYS_INLINE void opt_dwconv_rows_put_edge(const opt_dwconv_rows_params *p, const int8_t *row, int32_t b,
                                               uint32_t *dst, int32_t plane, int32_t copy) {
  const uint32_t offset2 = tg_lanes(p->input_offset, p->input_offset);
  const uint32_t zero_point = (uint32_t)(uint8_t)(-p->input_offset) * 0x01010101u;
  const int32_t x = b - p->pad_left, c = p->channels;
  const uint32_t x0 = x >= 0 && x < p->in_w ? tg_read32(row + x * c) : zero_point;
  const uint32_t x1 = x + 1 >= 0 && x + 1 < p->in_w ? tg_read32(row + (x + 1) * c) : zero_point;
  opt_dwconv_rows_put(offset2, x0, x1, dst + b / 2, plane, copy);
}

/* One row of four channel planes from the input row at `row` (its channel 0 being the group's
 * first), or zeros (!valid). Three runs of column pairs, their bounds fixed per layer: the pairs
 * at the left edge, those wholly inside the input (the branch-free path), the right edge. */
TG_ALWAYS_INLINE void opt_dwconv_rows_fill4(const opt_dwconv_rows_params *p, const int8_t *row, int32_t valid,
                                            uint32_t *dst, int32_t plane, int32_t copy) {
  if (!valid) {
    for (int32_t b = 0; b < p->band_w; b += 2) opt_dwconv_rows_store(dst + b / 2, plane, copy, 0, 0, 0, 0);
    return;
  }
  const uint32_t offset2 = tg_lanes(p->input_offset, p->input_offset);
  const int32_t c = p->channels, inside1 = p->pad_left + p->in_w;
  const int32_t fast0 = (p->pad_left + 1) & ~1;
  const int32_t fast1 = tg_max_i32(fast0, tg_min_i32(p->band_w, (inside1 - fast0) / 2 * 2 + fast0));
  _Pragma("GCC unroll 4") for (int32_t b = 0; b < fast0; b += 2) opt_dwconv_rows_put_edge(p, row, b, dst, plane, copy);
  const int8_t *x = row + (fast0 - p->pad_left) * c;
  for (int32_t b = fast0; b < fast1; b += 2, x += 2 * c) {
    opt_dwconv_rows_put(offset2, tg_read32(x), tg_read32(x + c), dst + b / 2, plane, copy);
  }
  _Pragma("GCC unroll 4") for (int32_t b = fast1; b < p->band_w; b += 2) {
    opt_dwconv_rows_put_edge(p, row, b, dst, plane, copy);
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

/* Output k of a block, kernel row at d (the block's first data word) with the row's weight words w:
 * the taps x[0..2m] of a window 2m + 1 wide (an even one has a zero last tap) lie in the data words
 * from d[k / 2] (odd k: from the top lane of that word). Even outputs read (x[2j], x[2j+1]) as
 * words, which SMLAD multiplies with A[j] = (w[2j], w[2j+1]), and x[2m] from a bottom lane (SMLABT
 * with the top of B[m]); odd ones read x[0] from a top lane (SMLATB with the bottom of A[0]) and
 * then (x[2j-1], x[2j]) with B[j] = (w[2j-1], w[2j]). The row's weights are the 2m words
 * A[0..m-1], B[1..m]: every tap once, m + 1 instructions per output. */
TG_ALWAYS_INLINE int32_t opt_dwconv_rows_tap_row(const uint32_t *d, const uint32_t *w, int32_t m, int32_t odd,
                                                 int32_t acc) {
  if (odd) {
    acc = tg_smlatb(d[0], w[0], acc);
    _Pragma("GCC unroll 4") for (int32_t j = 1; j <= m; ++j) acc = tg_smlad(d[j], w[m + j - 1], acc);
    return acc;
  }
  _Pragma("GCC unroll 4") for (int32_t j = 0; j < m; ++j) acc = tg_smlad(d[j], w[j], acc);
  return tg_smlabt(d[m], w[2 * m - 1], acc);
}

#if TG_DSP && defined(__GNUC__) && defined(__OPTIMIZE__)
/* A kernel row of 2 or 4 outputs of a window 2 or 3 wide (m = 1), written out: GCC neither pairs
 * the loads nor keeps a block's data words in registers on its own (it hoists them and runs out).
 * Data words at rows + offset (bytes), weights A[0], B[1] at w + w_offset; each pair of outputs
 * runs tap_row's four instructions on its two data words, which take turns in two registers (the
 * next word loaded over the one the last pair was the first to need). Four outputs at most: with
 * six, the operands take all registers but two and some builds (-Os, -O3, frame pointer) cannot
 * allocate them. */
#define OPT_DWCONV_ROWS_ASM_PAIR(e, o, lo, hi, e_in, o_in) \
  "smlad %[" e "], %[" lo "], %[w0], %[" e_in "]\n\t"        \
  "smlatb %[" o "], %[" lo "], %[w0], %[" o_in "]\n\t"       \
  "smlabt %[" e "], %[" hi "], %[w1], %[" e "]\n\t"          \
  "smlad %[" o "], %[" hi "], %[w1], %[" o "]\n\t"
/* The row of 2 or 4 outputs (the accumulators' first terms from a0... or, in the first kernel row,
 * from the bias b). */
#define OPT_DWCONV_ROWS_ASM_2(in0, in1)               \
  "ldrd %[x0], %[x1], [%[d], %[offset]]\n\t"         \
  "ldrd %[w0], %[w1], [%[w], %[w_offset]]\n\t"       \
  OPT_DWCONV_ROWS_ASM_PAIR("a0", "a1", "x0", "x1", in0, in1)
#define OPT_DWCONV_ROWS_ASM_4(in0, in1, in2, in3)                               \
  OPT_DWCONV_ROWS_ASM_2(in0, in1) "ldr %[x0], [%[d], %[offset] + 8]\n\t"       \
  OPT_DWCONV_ROWS_ASM_PAIR("a2", "a3", "x1", "x0", in2, in3)
#define OPT_DWCONV_ROWS_ASM_TEMPS [x0] "=&r"(x0), [x1] "=&r"(x1), [w0] "=&r"(w0), [w1] "=&r"(w1)
/* The band and weights it reads are a "memory" clobber, not "m" operands: GCC would compute their
 * addresses into registers (spilled and reloaded per block) that the asm never uses. */
#define OPT_DWCONV_ROWS_ASM_IN [d] "r"(rows), [offset] "i"(offset), [w] "r"(w), [w_offset] "i"(w_offset)
/* `first`: the accumulators start from the bias (their values in acc are not read). */
TG_ALWAYS_INLINE void opt_dwconv_rows_row3(const uint32_t *rows, int32_t offset, const uint32_t *w, int32_t w_offset,
                                           int32_t n, int32_t first, int32_t bias, int32_t *acc) {
  uint32_t x0, x1, w0, w1;
  if (n == 4 && first) {
    __asm__(OPT_DWCONV_ROWS_ASM_4("b", "b", "b", "b")
            : [a0] "=&r"(acc[0]), [a1] "=&r"(acc[1]), [a2] "=&r"(acc[2]), [a3] "=&r"(acc[3]), OPT_DWCONV_ROWS_ASM_TEMPS
            : OPT_DWCONV_ROWS_ASM_IN, [b] "r"(bias)
            : "memory");
  } else if (n == 4) {
    __asm__(OPT_DWCONV_ROWS_ASM_4("a0", "a1", "a2", "a3")
            : [a0] "+r"(acc[0]), [a1] "+r"(acc[1]), [a2] "+r"(acc[2]), [a3] "+r"(acc[3]), OPT_DWCONV_ROWS_ASM_TEMPS
            : OPT_DWCONV_ROWS_ASM_IN
            : "memory");
  } else if (first) {
    __asm__(OPT_DWCONV_ROWS_ASM_2("b", "b")
            : [a0] "=&r"(acc[0]), [a1] "=&r"(acc[1]), OPT_DWCONV_ROWS_ASM_TEMPS
            : OPT_DWCONV_ROWS_ASM_IN, [b] "r"(bias)
            : "memory");
  } else {
    __asm__(OPT_DWCONV_ROWS_ASM_2("a0", "a1")
            : [a0] "+r"(acc[0]), [a1] "+r"(acc[1]), OPT_DWCONV_ROWS_ASM_TEMPS
            : OPT_DWCONV_ROWS_ASM_IN
            : "memory");
  }
}
#undef OPT_DWCONV_ROWS_ASM_PAIR
#undef OPT_DWCONV_ROWS_ASM_2
#undef OPT_DWCONV_ROWS_ASM_4
#undef OPT_DWCONV_ROWS_ASM_TEMPS
#undef OPT_DWCONV_ROWS_ASM_IN
/* Where a block's kernel row is written out: m = 1, every output stored, offsets constants within
 * LDRD's reach. */
#define OPT_DWCONV_ROWS_ROW3(p, ky, n, stored) \
  ((p)->kernel_w / 2 == 1 && (n) == (stored) && __builtin_constant_p((ky) * (p)->band_w) && \
   (ky) * (p)->band_w * 2 + 2 * (n) <= 1020)
#else
#define OPT_DWCONV_ROWS_ROW3(p, ky, n, stored) 0
#define opt_dwconv_rows_row3(rows, offset, w, w_offset, n, first, bias, acc) ((void)0)
#endif

/* A block of n outputs of one channel (n even, at most OPT_DWCONV_ROWS_BLOCK; the first `stored`
 * of them written) whose kernel rows start at `rows`, the first output's data word. Every output's
 * accumulator stays in a register through all kernel rows, and the data words each kernel row
 * reads are shared by the block's outputs. */
TG_ALWAYS_INLINE void opt_dwconv_rows_block(const opt_dwconv_rows_params *p, const uint32_t *rows, const uint32_t *w,
                                            int32_t ch, int32_t n, int32_t stored, int8_t *out) {
  const int32_t row_words = p->band_w / 2, m = p->kernel_w / 2, c = p->channels;
  /* The channel's bias and requantization constants are read again per block: kept through the
   * channel's row they would take registers the block needs (and be spilled). */
  const int32_t bias = p->bias[ch];
  int32_t acc[OPT_DWCONV_ROWS_BLOCK];
  const int32_t written = OPT_DWCONV_ROWS_ROW3(p, 0, n, stored); /* the first row starts from the bias */
  if (!written) {
    _Pragma("GCC unroll 8") for (int32_t k = 0; k < n; ++k) acc[k] = bias;
  }
  _Pragma("GCC unroll 8") for (int32_t ky = 0; ky < p->kernel_h; ++ky) {
    if (written && OPT_DWCONV_ROWS_ROW3(p, ky, n, stored)) {
      _Pragma("GCC unroll 4") for (int32_t k = 0; k < n; k += 4) {
        opt_dwconv_rows_row3(rows, 4 * (ky * row_words + k / 2), w, 8 * ky, tg_min_i32(n - k, 4), ky == 0, bias,
                             acc + k);
      }
      continue;
    }
    const uint32_t *d = rows + ky * row_words, *wr = w + ky * 2 * m;
    _Pragma("GCC unroll 8") for (int32_t k = 0; k < n; ++k) {
      acc[k] = opt_dwconv_rows_tap_row(d + k / 2, wr, m, k & 1, acc[k]);
    }
  }
  const opt_rq r = opt_rq_load(p->rq + 3 * ch);
  _Pragma("GCC unroll 8") for (int32_t k = 0; k < stored; ++k) out[k * c] = (int8_t)OPT_REQUANTIZE_X2(p, acc[k], r);
}

/* The output row of channel ch whose kernel rows start at `rows` in the channel's plane: blocks of
 * OPT_DWCONV_ROWS_BLOCK outputs, then one block of the rest (an even number of them, the last one
 * not stored where the row is odd). */
TG_ALWAYS_INLINE void opt_dwconv_rows_channel(const opt_dwconv_rows_params *p, const uint32_t *rows, int32_t ch,
                                              int8_t *out) {
  const int32_t c = p->channels, block = OPT_DWCONV_ROWS_BLOCK;
  const uint32_t *w = (const uint32_t *)p->weights + ch * p->kernel_h * 2 * (p->kernel_w / 2);
  out += ch;
  int32_t ox = 0;
  for (; ox + block <= p->out_w; ox += block) {
    opt_dwconv_rows_block(p, rows, w, ch, block, block, out);
    rows += block / 2;
    out += block * c;
  }
  const int32_t rest = p->out_w - ox;
  if (rest > 0) opt_dwconv_rows_block(p, rows, w, ch, (rest + 1) & ~1, rest, out);
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
