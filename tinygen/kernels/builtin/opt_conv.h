/* Optimized 2-D convolution (CONV_2D, and DEPTHWISE_CONV_2D with one input channel): im2col into
 * 16-bit columns, four output pixels at a time, SMLAD on the DSP extension.
 *
 * Four consecutive output pixels (raster order) form a group. Their windows are copied into a
 * scratch "column" buffer as sign-extended 16-bit pairs -- taps outside the input hold the input
 * zero point, which the generation-time bias compensates (bias - zero_point * sum(weights)) -- and
 * then every output channel reads its weights once for the four pixels: per four window values,
 * one word of weights, two SXTB16 and eight SMLAD, with the column words of the four pixels side
 * by side (two LDM). A 1x1 window without padding reads the input pixels directly; a last group
 * of one or two pixels reads only their columns. A layer at the arena's peak may instead go two
 * or one pixels at a time (`group`), with a half or a quarter of the scratch.
 *
 * Each output channel's data is one record (bias, weights, requantization constants) that the
 * inner loops walk with a single pointer. Layers may (`wide`: as the board's flash allows, see
 * tinygen/backends/builtin.py) store them already sign-extended, two words per chunk in the
 * columns' lane order, read with one LDRD: the two SXTB16 leave every chunk for twice the weights'
 * flash. The requantization wants the accumulator doubled (opt_common.h): wide weights hold twice
 * their values (and the records twice the bias), which costs nothing; with narrow weights, when
 * the layer has many output channels for its window size, the columns hold twice the input values.
 *
 * opt_conv_s8_inline is an always-inline body: called with the address of a `static const`
 * params struct, the compiler folds every field (shapes, loop bounds, requantization mode) into
 * the call site, so each layer gets code specialized for its geometry. OPT_CONV_TILES makes the
 * same body out of line, for call sites that run many times (patch-based tiles; see below).
 */
#ifndef OPT_CONV_H
#define OPT_CONV_H

#include <stdint.h>

#include "opt_common.h"

typedef struct {
  int32_t batches, in_h, in_w, in_c, out_h, out_w, out_c;
  int32_t kernel_h, kernel_w, stride_h, stride_w, dilation_h, dilation_w, pad_top, pad_left;
  int32_t pointwise;  /* 1: a 1x1 window without padding, columns come straight from input pixels */
  int32_t k4;         /* column length in chunks of 4 values: the window (ky, kx, c), zero-padded */
  int32_t pad_value;  /* the input zero point, read by taps outside the input */
  int32_t doubled;    /* 1: biases and columns (wide: weights) hold twice their values */
  int32_t group;      /* pixels per pass: 4, or 2, 1, 0 (less scratch, for a layer at the arena's peak) */
  int32_t wide;       /* 1: weights as 16-bit pairs, 2 words per chunk (never in direct mode, group 0) */
  int32_t exact, sign_fix, output_offset, act_min, act_max; /* requantization (opt_common.h) */
  /* Per output channel, 1 + k4 + 3 words (wide: 1 + 2 * k4 + 3): the bias (bias - input zero
   * point * sum(weights)), the weights (k4 words of 4 int8, window order, little-endian; wide: per
   * chunk the words of values (4k, 4k+2) and (4k+1, 4k+3) as 16-bit lanes, twice the weights when
   * doubled), the requantization constants. */
  const int32_t *channels;
  int32_t reverse;        /* 1: last group first, so the output may sit above its input */
} opt_conv_params;

#if !TG_DSP
#include "opt_conv_nodsp.h"
#endif

/* Scratch: `group` pixels x k4 chunks x 8 bytes of columns, then (in_c not a multiple of 4) k4 * 4
 * bytes to gather one window.
 *
 * Column words are written through a pointer that advances one chunk (values 4k..4k+3) at a time:
 * bottom/top lanes 4k/4k+2 at col[0], 4k+1/4k+3 at col[group] (the other pixels' words in between). */
TG_ALWAYS_INLINE uint32_t *opt_conv_put(const opt_conv_params *p, uint32_t *col, uint32_t word) {
  uint32_t even = tg_sxtb16(word), odd = tg_sxtb16_ror8(word);
  if (p->doubled && !p->wide) {
    even = tg_sxtab16(even, word);
    odd = tg_sxtab16_ror8(odd, word);
  }
  col[0] = even;
  col[p->group] = odd;
  return col + 2 * p->group;
}

/* n bytes from src (when n is not a multiple of 4 the last chunk is assembled byte by byte). */
TG_ALWAYS_INLINE uint32_t *opt_conv_put_bytes(const opt_conv_params *p, uint32_t *col, const int8_t *src, int32_t n) {
  int32_t i = 0;
  for (; i + 4 <= n; i += 4) col = opt_conv_put(p, col, tg_read32(src + i));
  if (i < n) {
    uint32_t word = 0;
    for (int32_t j = 0; i + j < n; ++j) word |= (uint32_t)(uint8_t)src[i + j] << (8 * j);
    col = opt_conv_put(p, col, word);
  }
  return col;
}

/* n bytes of the pad value (n a multiple of 4). */
TG_ALWAYS_INLINE uint32_t *opt_conv_put_pad(const opt_conv_params *p, uint32_t *col, int32_t n) {
  const int32_t pad = p->doubled && !p->wide ? 2 * p->pad_value : p->pad_value;
  const uint32_t lanes = tg_lanes(pad, pad);
  for (int32_t i = 0; i < n; i += 4) {
    col[0] = lanes;
    col[p->group] = lanes;
    col += 2 * p->group;
  }
  return col;
}

TG_ALWAYS_INLINE void opt_conv_copy(int8_t *dst, const int8_t *src, int32_t n) {
  int32_t i = 0;
  for (; i + 4 <= n; i += 4) tg_write32(dst + i, tg_read32(src + i));
  for (; i < n; ++i) dst[i] = src[i];
}

TG_ALWAYS_INLINE void opt_conv_set(int8_t *dst, int32_t value, int32_t n) {
  const uint32_t word = (uint32_t)(uint8_t)value * 0x01010101u;
  int32_t i = 0;
  for (; i + 4 <= n; i += 4) tg_write32(dst + i, word);
  for (; i < n; ++i) dst[i] = (int8_t)value;
}

/* The window of output pixel (oy, ox) as bytes, in (ky, kx, c) order, taps outside the input
 * holding the pad value. */
TG_ALWAYS_INLINE void opt_conv_window_bytes(const opt_conv_params *p, const int8_t *image, int32_t oy, int32_t ox,
                                            int8_t *stage) {
  const int32_t y0 = oy * p->stride_h - p->pad_top, x0 = ox * p->stride_w - p->pad_left;
  const int32_t c = p->in_c, row_bytes = p->kernel_w * c;
  const int32_t whole_row = p->dilation_w == 1 && x0 >= 0 && x0 + p->kernel_w <= p->in_w;
  int8_t *dst = stage;
  for (int32_t ky = 0; ky < p->kernel_h; ++ky) {
    const int32_t y = y0 + ky * p->dilation_h;
    if (y < 0 || y >= p->in_h) {
      opt_conv_set(dst, p->pad_value, row_bytes);
    } else if (whole_row) {
      opt_conv_copy(dst, image + (y * p->in_w + x0) * c, row_bytes);
    } else {
      for (int32_t kx = 0; kx < p->kernel_w; ++kx) {
        const int32_t x = x0 + kx * p->dilation_w;
        if (x < 0 || x >= p->in_w) {
          opt_conv_set(dst + kx * c, p->pad_value, c);
        } else {
          opt_conv_copy(dst + kx * c, image + (y * p->in_w + x) * c, c);
        }
      }
    }
    dst += row_bytes;
  }
}

/* n bytes (1 to 4) at src as the low bytes of a word, the others 0: one load for 1, 2 or 4 bytes,
 * never a byte past src + n (the last one may end the input buffer). */
TG_ALWAYS_INLINE uint32_t opt_conv_read_bytes(const int8_t *src, int32_t n) {
  if (n == 4) return tg_read32(src);
  uint32_t word = 0;
  if (n & 2) {
    uint16_t half;
    memcpy(&half, src, 2);
    word = half;
  }
  if (n & 1) word |= (uint32_t)(uint8_t)src[n - 1] << (8 * (n - 1));
  return word;
}

/* The columns of a window whose rows (row_bytes >= 3 each, `stride` bytes apart, starting at
 * `row`) all lie inside the input, for in_c not a multiple of 4: each chunk is read straight from
 * the one or two rows it spans (the offsets are constants in a layer's code), zeros past the window. */
TG_ALWAYS_INLINE void opt_conv_put_rows(const opt_conv_params *p, uint32_t *col, const int8_t *row, int32_t row_bytes,
                                        int32_t stride) {
  _Pragma("GCC unroll 64") for (int32_t k = 0; k < p->k4; ++k) {
    const int32_t r = 4 * k / row_bytes, o = 4 * k % row_bytes;
    const int32_t first = row_bytes - o < 4 ? row_bytes - o : 4;
    uint32_t word = opt_conv_read_bytes(row + r * stride + o, first);
    if (first < 4 && r + 1 < p->kernel_h) word |= opt_conv_read_bytes(row + (r + 1) * stride, 4 - first) << (8 * first);
    col = opt_conv_put(p, col, word);
  }
}

/* The window of output pixel (oy, ox) into its columns, in (ky, kx, c) order. With in_c a multiple
 * of 4 every tap is whole chunks, written straight from the input; otherwise a window inside the
 * input is read from its rows, any other first gathered as bytes into `stage`. */
TG_ALWAYS_INLINE void opt_conv_window(const opt_conv_params *p, const int8_t *image, int32_t oy, int32_t ox,
                                      uint32_t *col, int8_t *stage) {
  const int32_t y0 = oy * p->stride_h - p->pad_top, x0 = ox * p->stride_w - p->pad_left;
  const int32_t c = p->in_c, row_bytes = p->kernel_w * c;
  const int32_t whole_row = p->dilation_w == 1 && x0 >= 0 && x0 + p->kernel_w <= p->in_w;
  if ((c & 3) == 0) {
    for (int32_t ky = 0; ky < p->kernel_h; ++ky) {
      const int32_t y = y0 + ky * p->dilation_h;
      if (y < 0 || y >= p->in_h) {
        col = opt_conv_put_pad(p, col, row_bytes);
      } else if (whole_row) {
        col = opt_conv_put_bytes(p, col, image + (y * p->in_w + x0) * c, row_bytes);
      } else {
        for (int32_t kx = 0; kx < p->kernel_w; ++kx) {
          const int32_t x = x0 + kx * p->dilation_w;
          col = x < 0 || x >= p->in_w ? opt_conv_put_pad(p, col, c)
                                      : opt_conv_put_bytes(p, col, image + (y * p->in_w + x) * c, c);
        }
      }
    }
    return;
  }
  if (whole_row && row_bytes >= 3 && y0 >= 0 && y0 + (p->kernel_h - 1) * p->dilation_h < p->in_h) {
    opt_conv_put_rows(p, col, image + (y0 * p->in_w + x0) * c, row_bytes, p->dilation_h * p->in_w * c);
    return;
  }
  opt_conv_window_bytes(p, image, oy, ox, stage);
  opt_conv_put_bytes(p, col, stage, 4 * p->k4);
}

/* One chunk of four pixels' columns from their raw words (input bytes or the pad value's). */
#if TG_DSP && defined(__OPTIMIZE__)
/* GCC stores the eight words one by one: written out, in pairs (STRD). */
#define OPT_CONV_PUT4_PAIR(EXTEND, a, b) EXTEND("0", a) EXTEND("1", b) "strd %[t0], %[t1], [%[col]], #8\n\t"
#define OPT_CONV_PUT4_EVEN(t, w) "sxtb16 %[t" t "], %[w" w "]\n\t"
#define OPT_CONV_PUT4_ODD(t, w) "sxtb16 %[t" t "], %[w" w "], ror #8\n\t"
#define OPT_CONV_PUT4_EVEN2(t, w) OPT_CONV_PUT4_EVEN(t, w) "sxtab16 %[t" t "], %[t" t "], %[w" w "]\n\t"
#define OPT_CONV_PUT4_ODD2(t, w) OPT_CONV_PUT4_ODD(t, w) "sxtab16 %[t" t "], %[t" t "], %[w" w "], ror #8\n\t"
#define OPT_CONV_PUT4_ASM(EVEN, ODD)                                                                 \
  __asm__ volatile(OPT_CONV_PUT4_PAIR(EVEN, "0", "1") OPT_CONV_PUT4_PAIR(EVEN, "2", "3")                      \
          OPT_CONV_PUT4_PAIR(ODD, "0", "1") OPT_CONV_PUT4_PAIR(ODD, "2", "3")                        \
          : [col] "+r"(col), [t0] "=&r"(t0), [t1] "=&r"(t1)                                          \
          : [w0] "r"(w0), [w1] "r"(w1), [w2] "r"(w2), [w3] "r"(w3)                                   \
          : "memory")
TG_ALWAYS_INLINE uint32_t *opt_conv_put4(const opt_conv_params *p, uint32_t *col, uint32_t w0, uint32_t w1,
                                         uint32_t w2, uint32_t w3) {
  uint32_t t0, t1;
  if (p->doubled && !p->wide) {
    OPT_CONV_PUT4_ASM(OPT_CONV_PUT4_EVEN2, OPT_CONV_PUT4_ODD2);
  } else {
    OPT_CONV_PUT4_ASM(OPT_CONV_PUT4_EVEN, OPT_CONV_PUT4_ODD);
  }
  return col;
}
#else
TG_ALWAYS_INLINE uint32_t *opt_conv_put4(const opt_conv_params *p, uint32_t *col, uint32_t w0, uint32_t w1,
                                         uint32_t w2, uint32_t w3) {
  opt_conv_put(p, col, w0);
  opt_conv_put(p, col + 1, w1);
  opt_conv_put(p, col + 2, w2);
  return opt_conv_put(p, col + 3, w3) - 3;
}
#endif

/* n bytes (a multiple of 4) of four pixels whose bytes start `step` apart from src. */
TG_ALWAYS_INLINE uint32_t *opt_conv_put4_run(const opt_conv_params *p, uint32_t *col, const int8_t *src,
                                             int32_t step, int32_t n) {
  for (int32_t j = 0; j < n; j += 4) {
    col = opt_conv_put4(p, col, tg_read32(src + j), tg_read32(src + step + j), tg_read32(src + 2 * step + j),
                        tg_read32(src + 3 * step + j));
  }
  return col;
}

/* A group of four pixels in one output row, in_c a multiple of 4: the columns are written a chunk
 * of all four pixels at a time (four loads from constant offsets of one pointer where the tap is
 * inside the input for all four), about half the instructions of one pixel after another. */
TG_ALWAYS_INLINE void opt_conv_fill4(const opt_conv_params *p, const int8_t *image, int32_t oy, int32_t ox,
                                     uint32_t *col) {
  const int32_t y0 = oy * p->stride_h - p->pad_top, x0 = ox * p->stride_w - p->pad_left;
  const int32_t c = p->in_c, sw = p->stride_w, step = sw * c;
  const uint32_t pad = (uint32_t)(uint8_t)p->pad_value * 0x01010101u;
  for (int32_t ky = 0; ky < p->kernel_h; ++ky) {
    const int32_t y = y0 + ky * p->dilation_h, row_inside = y >= 0 && y < p->in_h;
    for (int32_t kx = 0; kx < p->kernel_w; ++kx) {
      /* The tap of the group's first pixel as an offset: a pointer is formed only for taps inside. */
      const int32_t x = x0 + kx * p->dilation_w, at = (y * p->in_w + x) * c;
      if (row_inside && x >= 0 && x + 3 * sw < p->in_w) {
        col = opt_conv_put4_run(p, col, image + at, step, c);
        continue;
      }
      int32_t inside[4];
      for (int32_t g = 0; g < 4; ++g) inside[g] = row_inside && x + g * sw >= 0 && x + g * sw < p->in_w;
      for (int32_t j = at; j < at + c; j += 4) {
        col = opt_conv_put4(p, col, inside[0] ? tg_read32(image + j) : pad, inside[1] ? tg_read32(image + step + j) : pad,
                            inside[2] ? tg_read32(image + 2 * step + j) : pad,
                            inside[3] ? tg_read32(image + 3 * step + j) : pad);
      }
    }
  }
}

/* The columns of output pixel `pixel` into col (already offset to the pixel's lane). */
TG_ALWAYS_INLINE void opt_conv_fill(const opt_conv_params *p, const int8_t *image, int32_t pixel, uint32_t *col,
                                    int8_t *stage) {
  const int32_t oy = pixel / p->out_w, ox = pixel % p->out_w;
  if (p->pointwise) {
    const int32_t y = oy * p->stride_h - p->pad_top, x = ox * p->stride_w - p->pad_left;
    opt_conv_put_bytes(p, col, image + (y * p->in_w + x) * p->in_c, p->in_c);
  } else {
    opt_conv_window(p, image, oy, ox, col, stage);
  }
}

/* The dot products of one output channel's weights w[0..k4) (wide: w[0..2 * k4)) with the columns
 * of `pixels` (4, 2 or 1) pixels of a layout for `group` (4, 2 or 1) pixels; a0.. hold the bias on
 * entry. Per chunk: the even-lane weights (one word, SXTB16 unless wide) against each pixel's first
 * column word (one SMLAD each), then the odd-lane weights against the second. */
#if TG_DSP && defined(__OPTIMIZE__)
/* GCC neither keeps the column loads as LDM/LDRD nor the loop tight on its own: written out. Each
 * chunk first puts its even-lane weights in `even` and its odd-lane ones in `odd`: narrow, one
 * word and two SXTB16 (the ROR form in place); wide, both words with one LDRD. */
#define OPT_CONV_NARROW                                                                              \
  "ldr %[odd], [%[w]], #4\n\t"                                                                       \
  "sxtb16 %[even], %[odd]\n\t"                                                                       \
  "sxtb16 %[odd], %[odd], ror #8\n\t"
#define OPT_CONV_WIDE "ldrd %[even], %[odd], [%[w]], #8\n\t"
#define OPT_CONV_CHUNK4(WEIGHTS)                                                                     \
  WEIGHTS                                                                                            \
  "ldmia %[col]!, {r0, r1, r2, r3}\n\t"                                                              \
  "smlad %[a0], r0, %[even], %[a0]\n\t"                                                              \
  "smlad %[a1], r1, %[even], %[a1]\n\t"                                                              \
  "smlad %[a2], r2, %[even], %[a2]\n\t"                                                              \
  "smlad %[a3], r3, %[even], %[a3]\n\t"                                                              \
  "ldmia %[col]!, {r0, r1, r2, r3}\n\t"                                                              \
  "smlad %[a0], r0, %[odd], %[a0]\n\t"                                                               \
  "smlad %[a1], r1, %[odd], %[a1]\n\t"                                                               \
  "smlad %[a2], r2, %[odd], %[a2]\n\t"                                                               \
  "smlad %[a3], r3, %[odd], %[a3]\n\t"
/* Two or one pixels' column words, `stride` bytes apart (the group's pixels are side by side). */
#define OPT_CONV_CHUNK2(stride, WEIGHTS)                                                             \
  WEIGHTS                                                                                            \
  "ldrd r0, r1, [%[col]], #" #stride "\n\t"                                                          \
  "smlad %[a0], r0, %[even], %[a0]\n\t"                                                              \
  "smlad %[a1], r1, %[even], %[a1]\n\t"                                                              \
  "ldrd r0, r1, [%[col]], #" #stride "\n\t"                                                          \
  "smlad %[a0], r0, %[odd], %[a0]\n\t"                                                               \
  "smlad %[a1], r1, %[odd], %[a1]\n\t"
#define OPT_CONV_CHUNK1(stride, WEIGHTS)                                                             \
  WEIGHTS                                                                                            \
  "ldr r0, [%[col]], #" #stride "\n\t"                                                               \
  "ldr r1, [%[col]], #" #stride "\n\t"                                                               \
  "smlad %[a0], r0, %[even], %[a0]\n\t"                                                              \
  "smlad %[a0], r1, %[odd], %[a0]\n\t"
#define OPT_CONV_CHUNK1_ALONE(WEIGHTS)                                                               \
  WEIGHTS                                                                                            \
  "ldrd r0, r1, [%[col]], #8\n\t"                                                                    \
  "smlad %[a0], r0, %[even], %[a0]\n\t"                                                              \
  "smlad %[a0], r1, %[odd], %[a0]\n\t"
/* Chunks written out up to this many (the unroll pragma below says the same). */
#define OPT_CONV_UNROLL 144
/* Twelve registers: GCC cannot always find a thirteenth (frame-pointer builds, -Og). */
#define OPT_CONV_OPERANDS(odd_constraint, ...)                                                       \
  : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [col] "+r"(col), [w] "+r"(w),        \
    [even] "=r"(even), [odd] odd_constraint(odd)                                                     \
  : __VA_ARGS__                                                                                      \
  : "r0", "r1", "r2", "r3", "cc", "memory"
/* n chunks of the asm string CHUNK, each `step` weight words long. Where n is a constant (a
 * layer-based call) the chunks are written out one after another (one asm statement each, so GCC
 * knows their size for its literal pools): no loop test at all. Otherwise the chunks go in fours
 * in a loop whose end comes in through `odd`, is pushed, and is compared from the stack (one load
 * per four chunks). */
#define OPT_CONV_DOT(step, n, CHUNK)                                                                 \
  if (__builtin_constant_p(n) && (n) <= OPT_CONV_UNROLL) {                                           \
    _Pragma("GCC unroll 144") for (int32_t k = 0; k < (n); ++k) {                                    \
      uint32_t even, odd;                                                                            \
      __asm__(CHUNK OPT_CONV_OPERANDS("=r", ));                                                      \
    }                                                                                                \
  } else {                                                                                           \
    if ((n) & 1) {                                                                                   \
      uint32_t even, odd;                                                                            \
      __asm__(CHUNK OPT_CONV_OPERANDS("=r", ));                                                      \
    }                                                                                                \
    if ((n) & 2) {                                                                                   \
      uint32_t even, odd;                                                                            \
      __asm__(CHUNK CHUNK OPT_CONV_OPERANDS("=r", ));                                                \
    }                                                                                                \
    if ((n) >= 4) {                                                                                  \
      uint32_t even, odd = (uint32_t)(uintptr_t)(w + (step) * ((n) & ~3));                           \
      __asm__("str %[odd], [sp, #-8]!\n\t"                                                           \
              "1:\n\t" CHUNK CHUNK CHUNK CHUNK                                                       \
              "ldr r0, [sp]\n\t"                                                                     \
              "cmp %[w], r0\n\t"                                                                     \
              "bne 1b\n\t"                                                                           \
              "add sp, sp, #8\n\t" OPT_CONV_OPERANDS("+r", ));                                       \
    }                                                                                                \
  }
/* The first chunk of four pixels starts every accumulator from the bias in a0 (no copies). */
#define OPT_CONV_FIRST4(WEIGHTS)                                                                     \
  WEIGHTS                                                                                            \
  "ldmia %[col]!, {r0, r1, r2, r3}\n\t"                                                              \
  "smlad %[a1], r1, %[even], %[a0]\n\t"                                                              \
  "smlad %[a2], r2, %[even], %[a0]\n\t"                                                              \
  "smlad %[a3], r3, %[even], %[a0]\n\t"                                                              \
  "smlad %[a0], r0, %[even], %[a0]\n\t"                                                              \
  "ldmia %[col]!, {r0, r1, r2, r3}\n\t"                                                              \
  "smlad %[a0], r0, %[odd], %[a0]\n\t"                                                               \
  "smlad %[a1], r1, %[odd], %[a1]\n\t"                                                               \
  "smlad %[a2], r2, %[odd], %[a2]\n\t"                                                               \
  "smlad %[a3], r3, %[odd], %[a3]\n\t"
#define OPT_CONV_DOT4(step, WEIGHTS)                                                                 \
  {                                                                                                  \
    uint32_t even, odd;                                                                              \
    __asm__(OPT_CONV_FIRST4(WEIGHTS)                                                                 \
            : [a0] "+r"(a0), [a1] "=r"(a1), [a2] "=r"(a2), [a3] "=r"(a3), [col] "+r"(col), [w] "+r"(w), \
              [even] "=r"(even), [odd] "=r"(odd)                                                     \
            :                                                                                        \
            : "r0", "r1", "r2", "r3", "cc", "memory");                                               \
  }                                                                                                  \
  OPT_CONV_DOT(step, k4 - 1, OPT_CONV_CHUNK4(WEIGHTS))
/* The group/pixels cases for one way of reading the weights. */
#define OPT_CONV_DOT_CASES(step, WEIGHTS)                                                            \
  if (group == 4 && pixels == 4) {                                                                   \
    OPT_CONV_DOT4(step, WEIGHTS)                                                                     \
  } else if (group == 4 && pixels == 2) {                                                            \
    OPT_CONV_DOT(step, k4, OPT_CONV_CHUNK2(16, WEIGHTS))                                             \
  } else if (group == 4) {                                                                           \
    OPT_CONV_DOT(step, k4, OPT_CONV_CHUNK1(16, WEIGHTS))                                             \
  } else if (group == 2 && pixels == 2) {                                                            \
    OPT_CONV_DOT(step, k4, OPT_CONV_CHUNK2(8, WEIGHTS))                                              \
  } else if (group == 2) {                                                                           \
    OPT_CONV_DOT(step, k4, OPT_CONV_CHUNK1(8, WEIGHTS))                                              \
  } else {                                                                                           \
    OPT_CONV_DOT(step, k4, OPT_CONV_CHUNK1_ALONE(WEIGHTS))                                           \
  }
TG_ALWAYS_INLINE const int32_t *opt_conv_dot(const uint32_t *col, const int32_t *w, int32_t k4, int32_t wide,
                                             int32_t group, int32_t pixels, int32_t *acc0, int32_t *acc1,
                                             int32_t *acc2, int32_t *acc3) {
  int32_t a0 = *acc0, a1 = *acc1, a2 = *acc2, a3 = *acc3;
  if (wide) {
    OPT_CONV_DOT_CASES(2, OPT_CONV_WIDE)
  } else {
    OPT_CONV_DOT_CASES(1, OPT_CONV_NARROW)
  }
  *acc0 = a0, *acc1 = a1, *acc2 = a2, *acc3 = a3;
  return w;
}
#elif TG_DSP
TG_ALWAYS_INLINE const int32_t *opt_conv_dot(const uint32_t *col, const int32_t *w, int32_t k4, int32_t wide,
                                             int32_t group, int32_t pixels, int32_t *acc0, int32_t *acc1,
                                             int32_t *acc2, int32_t *acc3) {
  int32_t a0 = *acc0, a1 = *acc1, a2 = *acc2, a3 = *acc3;
  for (int32_t k = 0; k < k4; ++k) {
    const uint32_t word = (uint32_t)*w++;
    const uint32_t even = wide ? word : tg_sxtb16(word);
    const uint32_t odd = wide ? (uint32_t)*w++ : tg_sxtb16_ror8(word);
    a0 = tg_smlad(col[group], odd, tg_smlad(col[0], even, a0));
    if (pixels > 1) a1 = tg_smlad(col[group + 1], odd, tg_smlad(col[1], even, a1));
    if (pixels > 2) a2 = tg_smlad(col[group + 2], odd, tg_smlad(col[2], even, a2));
    if (pixels > 3) a3 = tg_smlad(col[group + 3], odd, tg_smlad(col[3], even, a3));
    col += 2 * group;
  }
  *acc0 = a0, *acc1 = a1, *acc2 = a2, *acc3 = a3;
  return w;
}
#endif

/* Output pixels first .. first+valid-1 (valid <= group). A group of three also fills and computes a
 * fourth column, a copy of the third pixel's. */
TG_ALWAYS_INLINE void opt_conv_group(const opt_conv_params *p, const int8_t *image, int32_t first, int32_t valid,
                                     uint32_t *col, int8_t *stage, int8_t *out) {
  const int32_t pixels = valid == 3 ? 4 : valid;
  const int32_t c = p->in_c, four = p->group == 4 && valid == 4 && (c & 3) == 0;
  /* A pointwise layer whose output pixels are its input pixels (not a tile's crop of them): the
   * group's four are consecutive, rows or not. */
  const int32_t same_pixels = p->pointwise && p->stride_h == 1 && p->stride_w == 1 && p->pad_top == 0 &&
                              p->pad_left == 0 && p->in_w == p->out_w;
  if (four && same_pixels) {
    opt_conv_put4_run(p, col, image + first * c, c, c);
  } else if (four && first % p->out_w + 3 < p->out_w) {
    opt_conv_fill4(p, image, first / p->out_w, first % p->out_w, col);
  } else {
    for (int32_t g = 0; g < pixels; ++g) opt_conv_fill(p, image, first + (g < valid ? g : valid - 1), col + g, stage);
  }
  out += first * p->out_c;
#if TG_DSP
  const int32_t n = p->out_c;
  const int32_t *w = p->channels + 1; /* a record's weights, its bias the word before them */
#define OPT_CONV_OUT(g, a)                                                                           \
  out[(g) * n + oc] = (int8_t)(p->doubled ? OPT_REQUANTIZE_X2(p, a, r) : OPT_REQUANTIZE(p, a, r))
  for (int32_t oc = 0; oc < n; ++oc) {
    int32_t a0 = w[-1], a1 = a0, a2 = a0, a3 = a0;
    const int32_t *q = opt_conv_dot(col, w, p->k4, p->wide, p->group, pixels, &a0, &a1, &a2, &a3);
    const opt_rq r = opt_rq_load(q);
    w = q + 4;
    OPT_CONV_OUT(0, a0);
    if (valid > 1) OPT_CONV_OUT(1, a1);
    if (valid > 2) OPT_CONV_OUT(2, a2);
    if (valid > 3) OPT_CONV_OUT(3, a3);
  }
#undef OPT_CONV_OUT
#else
  opt_conv_nodsp_channels(p, col, pixels, valid, out);
#endif
}

/* Direct mode (`group` 0), for a layer at the arena's peak: no columns. Each pass over the window
 * serves two output channels, reading it from the input again (a 1x1 window or whole rows of the
 * window straight from the input, other windows gathered once per pixel into the k4 * 4-byte
 * stage, on the stack up to OPT_CONV_DIRECT_STACK_WORDS words) and widening both sides in the inner
 * loop: about twice the instructions per MAC of four-pixel groups, with the reference's memory
 * (no arena scratch for windows up to 256 bytes, pixel-by-pixel in-place bounds). */
#define OPT_CONV_DIRECT_STACK_WORDS 64
TG_ALWAYS_INLINE void opt_conv_direct_chunk(uint32_t x, const int32_t **w0, const int32_t **w1, int32_t *a0,
                                            int32_t *a1, int32_t two) {
  const uint32_t even = tg_sxtb16(x), odd = tg_sxtb16_ror8(x);
  uint32_t w = (uint32_t)*(*w0)++;
  *a0 = tg_smlad(odd, tg_sxtb16_ror8(w), tg_smlad(even, tg_sxtb16(w), *a0));
  if (two) {
    w = (uint32_t)*(*w1)++;
    *a1 = tg_smlad(odd, tg_sxtb16_ror8(w), tg_smlad(even, tg_sxtb16(w), *a1));
  }
}

/* n bytes at src (the last chunk assembled byte by byte) against the weights at w0 (and w1). */
TG_ALWAYS_INLINE void opt_conv_direct_run(const int8_t *src, int32_t n, const int32_t **w0, const int32_t **w1,
                                          int32_t *a0, int32_t *a1, int32_t two) {
  int32_t i = 0;
  for (; i + 4 <= n; i += 4) opt_conv_direct_chunk(tg_read32(src + i), w0, w1, a0, a1, two);
  if (i < n) {
    uint32_t word = 0;
    for (int32_t j = 0; i + j < n; ++j) word |= (uint32_t)(uint8_t)src[i + j] << (8 * j);
    opt_conv_direct_chunk(word, w0, w1, a0, a1, two);
  }
}

/* One or two output channels (records ch and ch + record, narrow: direct mode is never wide) of
 * output pixel (oy, ox). */
TG_ALWAYS_INLINE void opt_conv_direct_channels(const opt_conv_params *p, const int8_t *image, int32_t y0, int32_t x0,
                                               int32_t inside, const int8_t *run, const int32_t *ch, int32_t two,
                                               int8_t *out) {
  const int32_t c = p->in_c, record = 1 + p->k4 + 3;
  const int32_t *w0 = ch + 1, *w1 = ch + record + 1;
  int32_t a0 = ch[0], a1 = two ? ch[record] : 0;
  if (run) {
    opt_conv_direct_run(run, p->pointwise ? c : 4 * p->k4, &w0, &w1, &a0, &a1, two);
  } else if (inside && p->dilation_w == 1) {
    for (int32_t ky = 0; ky < p->kernel_h; ++ky) {
      const int8_t *row = image + ((y0 + ky * p->dilation_h) * p->in_w + x0) * c;
      opt_conv_direct_run(row, p->kernel_w * c, &w0, &w1, &a0, &a1, two);
    }
  } else {
    const uint32_t pad = (uint32_t)(uint8_t)p->pad_value * 0x01010101u;
    for (int32_t ky = 0; ky < p->kernel_h; ++ky) {
      const int32_t y = y0 + ky * p->dilation_h;
      for (int32_t kx = 0; kx < p->kernel_w; ++kx) {
        const int32_t x = x0 + kx * p->dilation_w;
        if (y >= 0 && y < p->in_h && x >= 0 && x < p->in_w) {
          opt_conv_direct_run(image + (y * p->in_w + x) * c, c, &w0, &w1, &a0, &a1, two);
        } else {
          for (int32_t i = 0; i < c; i += 4) opt_conv_direct_chunk(pad, &w0, &w1, &a0, &a1, two);
        }
      }
    }
  }
  out[0] = (int8_t)OPT_REQUANTIZE(p, a0, opt_rq_load(ch + 1 + p->k4));
  if (two) out[1] = (int8_t)OPT_REQUANTIZE(p, a1, opt_rq_load(ch + record + 1 + p->k4));
}

TG_ALWAYS_INLINE void opt_conv_direct_pixel(const opt_conv_params *p, const int8_t *image, int32_t pixel,
                                            int8_t *stage, int8_t *out) {
  const int32_t oy = pixel / p->out_w, ox = pixel % p->out_w, c = p->in_c;
  const int32_t y0 = oy * p->stride_h - p->pad_top, x0 = ox * p->stride_w - p->pad_left;
  const int32_t inside = y0 >= 0 && y0 + (p->kernel_h - 1) * p->dilation_h < p->in_h && x0 >= 0 &&
                         x0 + (p->kernel_w - 1) * p->dilation_w < p->in_w;
  /* The window as one run of bytes: a 1x1 window, or windows gathered into the stage (on the stack
   * when small, so that direct mode needs no arena at all). */
  uint32_t local[OPT_CONV_DIRECT_STACK_WORDS];
  const int8_t *run = 0;
  if (p->pointwise) {
    run = image + (y0 * p->in_w + x0) * c;
  } else if (c & 3) {
    if (p->k4 <= OPT_CONV_DIRECT_STACK_WORDS) stage = (int8_t *)local;
    opt_conv_window_bytes(p, image, oy, ox, stage);
    run = stage;
  }
  const int32_t record = 1 + p->k4 + 3;
  out += pixel * p->out_c;
  int32_t oc = 0;
  for (; oc + 2 <= p->out_c; oc += 2) {
    opt_conv_direct_channels(p, image, y0, x0, inside, run, p->channels + oc * record, 1, out + oc);
  }
  if (oc < p->out_c) opt_conv_direct_channels(p, image, y0, x0, inside, run, p->channels + oc * record, 0, out + oc);
}

TG_ALWAYS_INLINE void opt_conv_s8_inline(const opt_conv_params *p, const int8_t *input, int8_t *output,
                                         void *scratch) {
  const int32_t pixels = p->out_h * p->out_w;
  if (p->group == 0) {
    /* No columns: the scratch is the stage alone, or NULL where the window fits the stack (no
     * pointer arithmetic on it then: an offset applied to NULL is undefined, even a zero one). */
    int8_t *stage = (int8_t *)scratch;
    for (int32_t b = 0; b < p->batches; ++b) {
      const int8_t *image = input + b * p->in_h * p->in_w * p->in_c;
      int8_t *out = output + b * pixels * p->out_c;
      for (int32_t i = 0; i < pixels; ++i) opt_conv_direct_pixel(p, image, p->reverse ? pixels - 1 - i : i, stage, out);
    }
    return;
  }
  uint32_t *col = (uint32_t *)scratch;
  int8_t *stage = (int8_t *)(col + 2 * p->group * p->k4);
  const int32_t groups = pixels / p->group, tail = pixels % p->group;
  /* Groups in raster order then the partial one, or (reverse) the partial one then the others
   * last to first. */
  const int32_t step = p->reverse ? -1 : 1;
  for (int32_t b = 0; b < p->batches; ++b) {
    const int8_t *image = input + b * p->in_h * p->in_w * p->in_c;
    int8_t *out = output + b * pixels * p->out_c;
    if (tail && p->reverse) opt_conv_group(p, image, groups * p->group, tail, col, stage, out);
    for (int32_t i = 0, g = p->reverse ? groups - 1 : 0; i < groups; ++i, g += step) {
      opt_conv_group(p, image, g * p->group, p->group, col, stage, out);
    }
    if (tail && !p->reverse) opt_conv_group(p, image, groups * p->group, tail, col, stage, out);
  }
}

/* Out of line, for call sites that run many times (the tiles of a patch-based stage): model.c
 * defines one function per layer, `static OPT_CONV_TILES(name, (k.in_c = 16, ...))`, with the
 * fields all its tiles share fixed (CONV_TILE_FIXED in tinygen/backends/builtin.py), so that the
 * compiler specializes the body for the layer as it does a layer-based call's; each tile's extent,
 * padding and direction stay run-time. */
#define OPT_CONV_TILES(name, fix)                                                                    \
  void name(const opt_conv_params *p, const int8_t *input, int8_t *output, void *scratch) {          \
    opt_conv_params k = *p;                                                                          \
    fix;                                                                                             \
    opt_conv_s8_inline(&k, input, output, scratch);                                                  \
  }

#endif
