/* opt_conv's channel loop on cores without the DSP extension (Cortex-M0/M0+, M3) and the host:
 * two output channels per pass over a group's columns (one on ARMv6-M).
 *
 * Without SMLAD a multiply-accumulate is one MLA (M3) or a MULS and an ADD (M0) on 32-bit values,
 * so what decides the speed is how many loads each one needs. Reading every column value as a
 * signed halfword (LDRSH at a constant offset from the chunk's address: no unpacking) and every
 * weight as a signed byte, a pass over two channels and four pixels loads 4 column values and 2
 * weights per 8 multiply-accumulates, where one channel at a time needs 4 and 1 per 4. The
 * columns are the ones opt_conv_put writes; the second channel's record is the next one, a
 * constant distance further, so one pointer walks both. On the M3 and M0 the common case (a
 * whole group of four pixels) is written out in asm below; everything else runs the C loop.
 *
 * Column lane of value 4k + j (j = 0..3) of pixel g in a chunk of a `group`-pixel layout, in
 * 16-bit units from the chunk's first word (little-endian: the bottom lane comes first):
 * (j odd) * 2 * group + 2 * g + j / 2. Weight j of a chunk: byte j of its word, or (wide) the
 * 16-bit lane (j odd) * 2 + j / 2 of its two words. The backend widens weights only for cores with
 * the DSP extension, so the written-out forms below read bytes; wide records (made for such a core
 * and run on the host, as the tests do) take the C loop.
 */
#ifndef OPT_CONV_NODSP_H
#define OPT_CONV_NODSP_H

#include <stdint.h>

#include "opt_common.h"

/* The columns are written as words and read here as halfwords: may_alias keeps the compiler from
 * moving those reads before the writes. */
typedef int16_t __attribute__((may_alias)) opt_conv_half;

#define OPT_CONV_LANE(col, group, g, j) \
  ((int32_t)((const opt_conv_half *)(col))[((j) & 1) * 2 * (group) + 2 * (g) + ((j) >> 1)])
#define OPT_CONV_WEIGHT(w, wide, j) \
  ((wide) ? (int32_t)((const opt_conv_half *)(w))[((j) & 1) * 2 + ((j) >> 1)] : (int32_t)((const int8_t *)(w))[j])

/* The accumulators of a pass: channel c (0, 1), pixel g (0..3). */
typedef struct {
  int32_t a00, a01, a02, a03, a10, a11, a12, a13;
} opt_conv_acc;

/* Value j of one chunk: channel 0's weight u, channel 1's v, against each pixel's lane. */
#define OPT_CONV_NODSP_VALUE(j)                                    \
  {                                                                \
    const int32_t u = OPT_CONV_WEIGHT(w, wide, j);                 \
    const int32_t v = two ? OPT_CONV_WEIGHT(w + record, wide, j) : 0; \
    int32_t x = OPT_CONV_LANE(col, group, 0, j);                   \
    a.a00 += x * u;                                                \
    if (two) a.a10 += x * v;                                       \
    if (pixels > 1) {                                              \
      x = OPT_CONV_LANE(col, group, 1, j);                         \
      a.a01 += x * u;                                              \
      if (two) a.a11 += x * v;                                     \
    }                                                              \
    if (pixels > 2) {                                              \
      x = OPT_CONV_LANE(col, group, 2, j);                         \
      a.a02 += x * u;                                              \
      if (two) a.a12 += x * v;                                     \
      x = OPT_CONV_LANE(col, group, 3, j);                         \
      a.a03 += x * u;                                              \
      if (two) a.a13 += x * v;                                     \
    }                                                              \
  }

#if defined(__ARM_ARCH_7M__) && defined(__OPTIMIZE__)
/* Cortex-M3, four pixels of a four-pixel layout: GCC neither keeps the accumulators in registers
 * nor the loads at constant offsets on its own, so one chunk is written out. Per value one weight
 * load (LDRSB) per channel, then per pixel one LDRSH and an MLA per channel. The first load of
 * each pointer advances it to the next chunk (weights 4 bytes, columns 32), the others reach back:
 * the lane offsets below are a four-pixel layout's, less 32. Two channels need thirteen registers
 * and channel 1's record at a constant distance (an immediate offset); one channel (the last of
 * an odd count, and the tiles' out-of-line variants, whose record size is a run-time value) eight. */
#define OPT_CONV_M3_MLA2(x, c0, c1) \
  "mla %[" #c0 "], %[" #x "], %[u], %[" #c0 "]\n\t" "mla %[" #c1 "], %[" #x "], %[v], %[" #c1 "]\n\t"
#define OPT_CONV_M3_MLA1(x, c0, c1) "mla %[" #c0 "], %[" #x "], %[u], %[" #c0 "]\n\t"
#define OPT_CONV_M3_LANE(MLA, offset, c0, c1) "ldrsh %[x], [%[col], #" #offset "]\n\t" MLA(x, c0, c1)
/* Value j (1..3) of the chunk: u (and v) from offsets j - 4 (and `vo`). */
#define OPT_CONV_M3_VALUE(MLA, WEIGHTS, uo, vo, l0, l1, l2, l3) \
  WEIGHTS(uo, vo)                                              \
  OPT_CONV_M3_LANE(MLA, l0, a00, a10)                          \
  OPT_CONV_M3_LANE(MLA, l1, a01, a11)                          \
  OPT_CONV_M3_LANE(MLA, l2, a02, a12)                          \
  OPT_CONV_M3_LANE(MLA, l3, a03, a13)
#define OPT_CONV_M3_WEIGHTS2(uo, vo) "ldrsb %[u], [%[w], #" #uo "]\n\t" "ldrsb %[v], [%[w], %[" #vo "]]\n\t"
#define OPT_CONV_M3_WEIGHTS1(uo, vo) "ldrsb %[u], [%[w], #" #uo "]\n\t"
#define OPT_CONV_M3_FIRST2 "ldrsb %[u], [%[w]], #4\n\t" "ldrsb %[v], [%[w], %[v0]]\n\t"
#define OPT_CONV_M3_FIRST1 "ldrsb %[u], [%[w]], #4\n\t"
#define OPT_CONV_M3_CHUNK(MLA, FIRST, WEIGHTS)                       \
  FIRST                                                              \
  "ldrsh %[x], [%[col]], #32\n\t" MLA(x, a00, a10)                   \
  OPT_CONV_M3_LANE(MLA, -28, a01, a11)                               \
  OPT_CONV_M3_LANE(MLA, -24, a02, a12)                               \
  OPT_CONV_M3_LANE(MLA, -20, a03, a13)                               \
  OPT_CONV_M3_VALUE(MLA, WEIGHTS, -3, v1, -16, -12, -8, -4)          \
  OPT_CONV_M3_VALUE(MLA, WEIGHTS, -2, v2, -30, -26, -22, -18)        \
  OPT_CONV_M3_VALUE(MLA, WEIGHTS, -1, v3, -14, -10, -6, -2)
#define OPT_CONV_M3_CHUNK2 OPT_CONV_M3_CHUNK(OPT_CONV_M3_MLA2, OPT_CONV_M3_FIRST2, OPT_CONV_M3_WEIGHTS2)
#define OPT_CONV_M3_CHUNK1 OPT_CONV_M3_CHUNK(OPT_CONV_M3_MLA1, OPT_CONV_M3_FIRST1, OPT_CONV_M3_WEIGHTS1)
/* Channel 1's weights, `record` words on, from the weights' pointer after it moved on by 4. */
#define OPT_CONV_M3_OPERANDS2(end_constraint)                                                       \
  : [a00] "+r"(a.a00), [a01] "+r"(a.a01), [a02] "+r"(a.a02), [a03] "+r"(a.a03), [a10] "+r"(a.a10),  \
    [a11] "+r"(a.a11), [a12] "+r"(a.a12), [a13] "+r"(a.a13), [col] "+r"(col), [w] "+r"(w),          \
    [u] "=&r"(u), [v] end_constraint(v), [x] "=&r"(x)                                               \
  : [v0] "i"(4 * record - 4), [v1] "i"(4 * record - 3), [v2] "i"(4 * record - 2), [v3] "i"(4 * record - 1) \
  : "cc", "memory"
/* Two channels: an odd chunk, then two chunks per pass, the loop's end pushed and compared from the
 * stack (thirteen registers are taken). */
#define OPT_CONV_M3_DOT2()                                                                         \
  {                                                                                                \
    uint32_t u, v, x;                                                                              \
    if (k4 & 1) __asm__(OPT_CONV_M3_CHUNK2 OPT_CONV_M3_OPERANDS2("=&r"));                          \
    if (k4 >= 2) {                                                                                 \
      v = (uint32_t)(uintptr_t)(w + (k4 & ~1));                                                    \
      __asm__("str %[v], [sp, #-8]!\n\t"                                                           \
              "1:\n\t" OPT_CONV_M3_CHUNK2 OPT_CONV_M3_CHUNK2                                       \
              "ldr %[x], [sp]\n\t"                                                                 \
              "cmp %[w], %[x]\n\t"                                                                 \
              "bne 1b\n\t"                                                                         \
              "add sp, sp, #8\n\t" OPT_CONV_M3_OPERANDS2("+&r"));                                 \
    }                                                                                              \
  }
#define OPT_CONV_M3_DOT1()                                                                         \
  {                                                                                                \
    uint32_t u, x;                                                                                 \
    const int32_t *end = w + k4;                                                                   \
    __asm__("1:\n\t" OPT_CONV_M3_CHUNK1                                                            \
            "cmp %[w], %[end]\n\t"                                                                 \
            "bne 1b\n\t"                                                                           \
            : [a00] "+r"(a.a00), [a01] "+r"(a.a01), [a02] "+r"(a.a02), [a03] "+r"(a.a03),          \
              [col] "+r"(col), [w] "+r"(w), [u] "=&r"(u), [x] "=&r"(x)                             \
            : [end] "r"(end)                                                                       \
            : "cc", "memory");                                                                     \
  }
/* Two channels: channel 1's weights within reach of a load's 12-bit offset. */
#define OPT_CONV_M3_PAIRS(record) (__builtin_constant_p(record) && 4 * (record) + 8 < 4096)
#define OPT_CONV_M3_APPLIES(wide, group, pixels, k4) (!(wide) && (group) == 4 && (pixels) == 4 && (k4) > 0)
#endif

/* Not in size-optimized builds (-Os), where GCC finds no registers for it (and the C loop is smaller). */
#if defined(__ARM_ARCH_6M__) && defined(__OPTIMIZE__) && !defined(__OPTIMIZE_SIZE__)
#define OPT_CONV_M0 1
/* Cortex-M0/M0+ (MULS overwrites its operand, eight low registers): one channel and four pixels of
 * a four-pixel layout per pass, one chunk written out. Each half of the chunk (values 4k, 4k+2,
 * then 4k+1, 4k+3) takes two weights into registers and the four pixels' column words two at a
 * time (LDM into r4, r5); per lane SXTH or ASRS, MULS, ADD. */
#define OPT_CONV_M0_PIXEL(word, acc)             \
  "sxth %[t], " word "\n\t"                       \
  "muls %[t], %[ua], %[t]\n\t"                    \
  "add %[" #acc "], %[" #acc "], %[t]\n\t"        \
  "asrs %[t], " word ", #16\n\t"                  \
  "muls %[t], %[ub], %[t]\n\t"                    \
  "add %[" #acc "], %[" #acc "], %[t]\n\t"
#define OPT_CONV_M0_HALF(WEIGHTS)                \
  WEIGHTS                                        \
  "ldmia %[col]!, {r4, r5}\n\t"                  \
  OPT_CONV_M0_PIXEL("r4", a0)                    \
  OPT_CONV_M0_PIXEL("r5", a1)                    \
  "ldmia %[col]!, {r4, r5}\n\t"                  \
  OPT_CONV_M0_PIXEL("r4", a2)                    \
  OPT_CONV_M0_PIXEL("r5", a3)
/* Weights (ua, ub) of the even half (values 0, 2) and of the odd half (1, 3): bytes of the chunk's
 * word. */
#define OPT_CONV_M0_NARROW_EVEN \
  "ldr %[ub], [%[w]]\n\t" "sxtb %[ua], %[ub]\n\t" "lsls %[ub], %[ub], #8\n\t" "asrs %[ub], %[ub], #24\n\t"
#define OPT_CONV_M0_NARROW_ODD \
  "ldr %[ub], [%[w]]\n\t" "lsls %[ua], %[ub], #16\n\t" "asrs %[ua], %[ua], #24\n\t" "asrs %[ub], %[ub], #24\n\t"
/* The loop's end is kept on the stack: the high registers hold the accumulators. */
#define OPT_CONV_M0_DOT(EVEN, ODD, STEP)                                                           \
  {                                                                                                \
    uint32_t t = (uint32_t)(uintptr_t)(w + k4 * (STEP) / 4), ua, ub;                               \
    __asm__(".syntax unified\n\t"                                                                \
            "sub sp, sp, #8\n\t"                                                                  \
            "str %[t], [sp]\n\t"                                                                  \
            "1:\n\t" OPT_CONV_M0_HALF(EVEN) OPT_CONV_M0_HALF(ODD)                                  \
            "adds %[w], #" #STEP "\n\t"                                                           \
            "ldr %[t], [sp]\n\t"                                                                  \
            "cmp %[w], %[t]\n\t"                                                                  \
            "bne 1b\n\t"                                                                          \
            "add sp, sp, #8\n\t"                                                                  \
            ".syntax divided\n\t"                                                                 \
            : [a0] "+h"(a.a00), [a1] "+h"(a.a01), [a2] "+h"(a.a02), [a3] "+h"(a.a03), [col] "+l"(col), \
              [w] "+l"(w), [t] "+&l"(t), [ua] "=&l"(ua), [ub] "=&l"(ub)                            \
            :                                                                                      \
            : "r4", "r5", "cc", "memory");                                                         \
  }
#define OPT_CONV_M0_APPLIES(group, pixels, two, k4) ((group) == 4 && (pixels) == 4 && !(two) && (k4) > 0)
#else
#define OPT_CONV_M0 0
#endif

/* Whether channels go two at a time. On ARMv6-M, MULS costs its own instruction per
 * multiply-accumulate however many channels share a load, and eight low registers cannot hold a
 * second channel's operands: one channel per pass. */
#if defined(__ARM_ARCH_6M__)
#define OPT_CONV_NODSP_PAIRS(record) 0
#elif defined(__ARM_ARCH_7M__) && defined(__OPTIMIZE__)
#define OPT_CONV_NODSP_PAIRS(record) OPT_CONV_M3_PAIRS(record)
#else
#define OPT_CONV_NODSP_PAIRS(record) 1
#endif

/* The accumulators of channel 0 (and channel 1: `two`, its record `record` words after channel
 * 0's) over `pixels` pixels, plus the dot products of their weights w with the columns. */
TG_ALWAYS_INLINE opt_conv_acc opt_conv_nodsp_dot(const uint32_t *col, const int32_t *w, int32_t record, int32_t k4,
                                                 int32_t wide, int32_t group, int32_t pixels, int32_t two,
                                                 opt_conv_acc a) {
#if defined(__ARM_ARCH_7M__) && defined(__OPTIMIZE__)
  if (OPT_CONV_M3_APPLIES(wide, group, pixels, k4)) {
    if (!two) {
      OPT_CONV_M3_DOT1()
      return a;
    }
    if (OPT_CONV_M3_PAIRS(record)) { /* what opt_conv_nodsp_channels pairs here (a constant: see there) */
      OPT_CONV_M3_DOT2()
      return a;
    }
  }
#endif
#if OPT_CONV_M0
  if (!wide && OPT_CONV_M0_APPLIES(group, pixels, two, k4)) {
    OPT_CONV_M0_DOT(OPT_CONV_M0_NARROW_EVEN, OPT_CONV_M0_NARROW_ODD, 4)
    return a;
  }
#endif
  const int32_t step = wide ? 2 : 1;
  for (const int32_t *end = w + step * k4; w != end; w += step, col += 2 * group) {
    OPT_CONV_NODSP_VALUE(0)
    OPT_CONV_NODSP_VALUE(1)
    OPT_CONV_NODSP_VALUE(2)
    OPT_CONV_NODSP_VALUE(3)
  }
  return a;
}

/* Channels oc (and oc + 1: `two`) of `valid` output pixels from `pixels` columns (valid 3 computes
 * a fourth), their records at ch. */
TG_ALWAYS_INLINE void opt_conv_nodsp_outputs(const opt_conv_params *p, const uint32_t *col, const int32_t *ch,
                                             int32_t record, int32_t oc, int32_t two, int32_t pixels,
                                             int32_t valid, int8_t *out) {
  const int32_t n = p->out_c, b0 = ch[0], b1 = two ? ch[record] : 0;
  opt_conv_acc a = {b0, b0, b0, b0, b1, b1, b1, b1};
  a = opt_conv_nodsp_dot(col, ch + 1, record, p->k4, p->wide, p->group, pixels, two, a);
  const opt_rq r0 = opt_rq_load(ch + record - 3);
#define OPT_CONV_NODSP_OUT(g, c, x, r) \
  out[(g) * n + oc + (c)] = (int8_t)(p->doubled ? OPT_REQUANTIZE_X2(p, x, r) : OPT_REQUANTIZE(p, x, r))
  OPT_CONV_NODSP_OUT(0, 0, a.a00, r0);
  if (valid > 1) OPT_CONV_NODSP_OUT(1, 0, a.a01, r0);
  if (valid > 2) OPT_CONV_NODSP_OUT(2, 0, a.a02, r0);
  if (valid > 3) OPT_CONV_NODSP_OUT(3, 0, a.a03, r0);
  if (two) {
    const opt_rq r1 = opt_rq_load(ch + 2 * record - 3);
    OPT_CONV_NODSP_OUT(0, 1, a.a10, r1);
    if (valid > 1) OPT_CONV_NODSP_OUT(1, 1, a.a11, r1);
    if (valid > 2) OPT_CONV_NODSP_OUT(2, 1, a.a12, r1);
    if (valid > 3) OPT_CONV_NODSP_OUT(3, 1, a.a13, r1);
  }
#undef OPT_CONV_NODSP_OUT
}

/* Every output channel of the group's `valid` pixels (out: the group's first pixel). */
TG_ALWAYS_INLINE void opt_conv_nodsp_channels(const opt_conv_params *p, const uint32_t *col, int32_t pixels,
                                              int32_t valid, int8_t *out) {
  const int32_t record = 1 + (p->wide ? 2 : 1) * p->k4 + 3, n = p->out_c;
  const int32_t *ch = p->channels;
  int32_t oc = 0;
  if (OPT_CONV_NODSP_PAIRS(record)) {
    for (; oc + 2 <= n; oc += 2, ch += 2 * record) opt_conv_nodsp_outputs(p, col, ch, record, oc, 1, pixels, valid, out);
  }
  for (; oc < n; ++oc, ch += record) opt_conv_nodsp_outputs(p, col, ch, record, oc, 0, pixels, valid, out);
}

#endif
