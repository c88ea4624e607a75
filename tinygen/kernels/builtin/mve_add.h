/* Helium (MVE) elementwise ADD/SUB of same-shape int8 tensors (or regions of them, row by row) for
 * the Cortex-M55, four elements per vector.
 *
 * Each input's rescaled values (TFLM's (x + offset) << left_shift, then its multiplier and shift)
 * are tabulated at generation time, indexed by the int8 value's bit pattern: per four elements two
 * widening loads, two gathers from the tables, the sum or difference, and the output's
 * requantization as in every MVE kernel (mve_common.h). Element i is written after element i of
 * both inputs is read, so the output may overwrite either.
 *
 * mve_add_s8_inline is an always-inline body; mve_add_s8 the same out of line, for patch-based
 * tiles (mve_add_s8.c).
 */
#ifndef MVE_ADD_H
#define MVE_ADD_H

#include <stdint.h>

#include "mve_common.h"

typedef struct {
  int32_t rows, size;                 /* rows of size elements; the output's rows follow each other, */
  int32_t a_row_stride, b_row_stride; /* each input's are this many elements apart */
  int32_t subtract;                   /* 1: SUB */
  int32_t left_shift, sign_fix, output_offset, act_min, act_max; /* requantization (mve_common.h) */
  const int32_t *a_table, *b_table; /* [256]: the rescaled value of the int8 input whose bits are the index */
  const int32_t *bias;              /* [4]: zeros (the requantization's bias lanes) */
  const int32_t *rq;                /* [record words (mve_common.h)]: the output's requantization, four equal lanes */
} mve_add_params;

/* Elements 0..3 at a and b into out; `partial`: only those under `pred`. */
MVE_ALWAYS_INLINE void mve_add4(const mve_add_params *p, const int8_t *a, const int8_t *b, int8_t *out,
                                int32_t partial, mve_pred16_t pred) {
  uint32x4_t ia, ib;
  if (partial) {
    ia = vldrbq_z_u32((const uint8_t *)a, pred);
    ib = vldrbq_z_u32((const uint8_t *)b, pred);
  } else {
    ia = vldrbq_u32((const uint8_t *)a);
    ib = vldrbq_u32((const uint8_t *)b);
  }
  const int32x4_t x = vldrwq_gather_shifted_offset_s32(p->a_table, ia);
  const int32x4_t y = vldrwq_gather_shifted_offset_s32(p->b_table, ib);
  const int32x4_t sum = MVE_REQUANTIZE(p, p->subtract ? vsubq_s32(x, y) : vaddq_s32(x, y), p->bias, p->rq);
  if (partial) {
    vstrbq_p_s32(out, sum, pred);
  } else {
    vstrbq_s32(out, sum);
  }
}

MVE_ALWAYS_INLINE void mve_add_s8_inline(const mve_add_params *p, const int8_t *a, const int8_t *b, int8_t *output) {
  for (int32_t row = 0; row < p->rows; ++row, a += p->a_row_stride, b += p->b_row_stride, output += p->size) {
    int32_t i = 0;
    for (; i + 4 <= p->size; i += 4) mve_add4(p, a + i, b + i, output + i, 0, 0);
    if (i < p->size) mve_add4(p, a + i, b + i, output + i, 1, vctp32q((uint32_t)(p->size - i)));
  }
}

void mve_add_s8(const mve_add_params *p, const int8_t *a, const int8_t *b, int8_t *output);

#endif
