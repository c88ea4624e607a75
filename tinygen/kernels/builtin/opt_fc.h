/* Optimized fully connected layer (FULLY_CONNECTED), int8, four output units at a time.
 *
 * The weights of four consecutive units are interleaved at generation time so that one chunk of
 * four depth values reads four consecutive words (one LDM on the DSP extension): per chunk one
 * input word widened by two SXTB16, eight SXTB16 on the weights and eight SMLAD. The input zero
 * point is folded into the bias (bias - zero_point * sum(weights)), so the input is only widened.
 *
 * opt_fc_s8_inline is the always-inline body: each call site gets code with its shapes folded in.
 */
#ifndef OPT_FC_H
#define OPT_FC_H

#include <stdint.h>

#include "opt_common.h"

typedef struct {
  int32_t batches, depth, units;
  int32_t rq_stride; /* 0: one set of requantization constants for every unit; 3: one per unit */
  int32_t exact, sign_fix, output_offset, act_min, act_max; /* requantization (opt_common.h) */
  const int32_t *weights; /* [units / 4, rounded up][depth / 4, rounded up][4 units] words of 4 int8 */
  const int32_t *bias;    /* [units rounded up to 4]: bias - input zero point * sum(weights) */
  const int32_t *rq;      /* [1 or units rounded up to 4][3]: requantization constants */
} opt_fc_params;

#if TG_DSP
/* a_u += chunk . unit u's weights, for the four units whose weight words are w[0..3]. */
#define OPT_FC_CHUNK(word, w)                                                   \
  {                                                                             \
    const uint32_t even = tg_sxtb16(word), odd = tg_sxtb16_ror8(word);          \
    const uint32_t w0 = (uint32_t)(w)[0], w1 = (uint32_t)(w)[1];                \
    const uint32_t w2 = (uint32_t)(w)[2], w3 = (uint32_t)(w)[3];                \
    a0 = tg_smlad(even, tg_sxtb16(w0), a0);                                     \
    a0 = tg_smlad(odd, tg_sxtb16_ror8(w0), a0);                                 \
    a1 = tg_smlad(even, tg_sxtb16(w1), a1);                                     \
    a1 = tg_smlad(odd, tg_sxtb16_ror8(w1), a1);                                 \
    a2 = tg_smlad(even, tg_sxtb16(w2), a2);                                     \
    a2 = tg_smlad(odd, tg_sxtb16_ror8(w2), a2);                                 \
    a3 = tg_smlad(even, tg_sxtb16(w3), a3);                                     \
    a3 = tg_smlad(odd, tg_sxtb16_ror8(w3), a3);                                 \
    TG_BARRIER4(a0, a1, a2, a3);                                                \
  }
#else
/* Without the DSP extension, byte by byte: the four input values widened once and each weight
 * byte sign-extended where it is used, which beats emulating SXTB16 and SMLAD (measured on the
 * emulated Cortex-M0 and M3). The same sums, added in another order. */
#define OPT_FC_UNIT(a, weight)                                                                 \
  {                                                                                            \
    const uint32_t wu = (uint32_t)(weight);                                                    \
    a += x0 * (int8_t)wu + x1 * (int8_t)(wu >> 8) + x2 * (int8_t)(wu >> 16) + x3 * ((int32_t)wu >> 24); \
  }
#define OPT_FC_CHUNK(word, w)                                                                  \
  {                                                                                            \
    const int32_t x0 = (int8_t)(word), x1 = (int8_t)((word) >> 8), x2 = (int8_t)((word) >> 16); \
    const int32_t x3 = (int32_t)(word) >> 24;                                                  \
    OPT_FC_UNIT(a0, (w)[0])                                                                    \
    OPT_FC_UNIT(a1, (w)[1])                                                                    \
    OPT_FC_UNIT(a2, (w)[2])                                                                    \
    OPT_FC_UNIT(a3, (w)[3])                                                                    \
  }
#endif

#if TG_DSP && defined(__OPTIMIZE__)
/* GCC keeps reloading the loop bound and shuffling registers here: two chunks per pass, written out. */
#define OPT_FC_ASM_CHUNK                                  \
  "ldr %[odd], [%[x]], #4\n\t"                            \
  "sxtb16 %[even], %[odd]\n\t"                            \
  "sxtb16 %[odd], %[odd], ror #8\n\t"                     \
  "ldrd %[wa], %[wb], [%[w]], #8\n\t"                     \
  "sxtb16 %[t], %[wa]\n\t"                                \
  "smlad %[a0], %[even], %[t], %[a0]\n\t"                 \
  "sxtb16 %[wa], %[wa], ror #8\n\t"                       \
  "smlad %[a0], %[odd], %[wa], %[a0]\n\t"                 \
  "sxtb16 %[t], %[wb]\n\t"                                \
  "smlad %[a1], %[even], %[t], %[a1]\n\t"                 \
  "sxtb16 %[wb], %[wb], ror #8\n\t"                       \
  "smlad %[a1], %[odd], %[wb], %[a1]\n\t"                 \
  "ldrd %[wa], %[wb], [%[w]], #8\n\t"                     \
  "sxtb16 %[t], %[wa]\n\t"                                \
  "smlad %[a2], %[even], %[t], %[a2]\n\t"                 \
  "sxtb16 %[wa], %[wa], ror #8\n\t"                       \
  "smlad %[a2], %[odd], %[wa], %[a2]\n\t"                 \
  "sxtb16 %[t], %[wb]\n\t"                                \
  "smlad %[a3], %[even], %[t], %[a3]\n\t"                 \
  "sxtb16 %[wb], %[wb], ror #8\n\t"                       \
  "smlad %[a3], %[odd], %[wb], %[a3]\n\t"
#define OPT_FC_ASM_OPERANDS                                                                        \
  : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [x] "+r"(xp), [w] "+r"(w),        \
    [even] "=&r"(even), [odd] "=&r"(odd), [wa] "=&r"(wa), [wb] "=&r"(wb), [t] "=&r"(t)             \
  : [end] "r"(end)                                                                                 \
  : "cc", "memory"
#define OPT_FC_WHOLE_CHUNKS()                                                                      \
  {                                                                                                \
    const int8_t *xp = x, *end = x + 4 * whole;                                                    \
    uint32_t even, odd, wa, wb, t;                                                                 \
    if (whole & 1) __asm__(OPT_FC_ASM_CHUNK OPT_FC_ASM_OPERANDS);                                  \
    if (whole >= 2)                                                                                \
      __asm__("1:\n\t" OPT_FC_ASM_CHUNK OPT_FC_ASM_CHUNK "cmp %[x], %[end]\n\tbne 1b\n\t"          \
              OPT_FC_ASM_OPERANDS);                                                                \
  }
#else
#define OPT_FC_WHOLE_CHUNKS()                                                                      \
  for (int32_t k = 0; k < whole; ++k) {                                                            \
    const uint32_t word = tg_read32(x + 4 * k);                                                    \
    OPT_FC_CHUNK(word, w)                                                                          \
    w += 4;                                                                                        \
  }
#endif

/* Units 4*block .. 4*block+valid-1 of one input row. */
TG_ALWAYS_INLINE void opt_fc_block(const opt_fc_params *p, const int8_t *x, int32_t block, int32_t valid,
                                   int8_t *out) {
  const int32_t whole = p->depth / 4, rest = p->depth & 3;
  const int32_t *w = p->weights + block * (whole + (rest != 0)) * 4;
  const int32_t *bias = p->bias + 4 * block;
  int32_t a0 = bias[0], a1 = bias[1], a2 = bias[2], a3 = bias[3];
  OPT_FC_WHOLE_CHUNKS()
  if (rest) {
    uint32_t word = 0;
    for (int32_t j = 0; j < rest; ++j) word |= (uint32_t)(uint8_t)x[4 * whole + j] << (8 * j);
    OPT_FC_CHUNK(word, w)
  }
  const int32_t *q = p->rq + p->rq_stride * 4 * block;
  const opt_rq r0 = opt_rq_load(q), r1 = opt_rq_load(q + p->rq_stride);
  const opt_rq r2 = opt_rq_load(q + 2 * p->rq_stride), r3 = opt_rq_load(q + 3 * p->rq_stride);
  out += 4 * block;
  out[0] = (int8_t)OPT_REQUANTIZE(p, a0, r0);
  if (valid > 1) out[1] = (int8_t)OPT_REQUANTIZE(p, a1, r1);
  if (valid > 2) out[2] = (int8_t)OPT_REQUANTIZE(p, a2, r2);
  if (valid > 3) out[3] = (int8_t)OPT_REQUANTIZE(p, a3, r3);
}

TG_ALWAYS_INLINE void opt_fc_s8_inline(const opt_fc_params *p, const int8_t *input, int8_t *output) {
  const int32_t blocks = p->units / 4, tail = p->units & 3;
  for (int32_t b = 0; b < p->batches; ++b) {
    const int8_t *x = input + b * p->depth;
    int8_t *out = output + b * p->units;
    for (int32_t i = 0; i < blocks; ++i) opt_fc_block(p, x, i, 4, out);
    if (tail) opt_fc_block(p, x, blocks, tail, out);
  }
}


#endif
