/* Optimized element-wise ADD/SUB of two int8 tensors of the same shape.
 *
 * TFLM rescales each input to a common scale (x = requantize((a - zero_point) << 20, ...)) before
 * adding and requantizing the sum. The rescaled value depends on the int8 input alone, so each
 * input's 256 rescaled values are tabulated at generation time; per element two table loads,
 * one add and the output requantization (opt_common.h) remain.
 *
 * opt_add_s8_inline is the always-inline body, opt_add_s8 the same out of line.
 */
#ifndef OPT_ADD_H
#define OPT_ADD_H

#include <stdint.h>

#include "opt_common.h"

typedef struct {
  int32_t rows, size;                 /* rows of size elements; the output's rows follow each other, */
  int32_t a_row_stride, b_row_stride; /* each input's are this many elements apart */
  int32_t subtract; /* 1: SUB */
  int32_t exact, sign_fix, output_offset, act_min, act_max; /* requantization (opt_common.h) */
  const int32_t *a_table, *b_table; /* [256]: the rescaled value of int8 input v at v + 128
                                       (doubled outside exact mode, see opt_common.h) */
  const int32_t *rq;                /* [3]: requantization constants */
} opt_add_params;

#define OPT_ADD_ONE(i)                                                                   \
  {                                                                                      \
    const int32_t x = ta[a[i]], y = tb[b[i]];                                            \
    output[i] = (int8_t)OPT_REQUANTIZE_X2(p, p->subtract ? x - y : x + y, r);            \
  }

TG_ALWAYS_INLINE void opt_add_s8_inline(const opt_add_params *p, const int8_t *a, const int8_t *b, int8_t *output) {
  const int32_t *ta = p->a_table + 128, *tb = p->b_table + 128;
  const opt_rq r = opt_rq_load(p->rq);
  TG_OPAQUE(ta);
  TG_OPAQUE(tb);
  /* Element i is written after element i of both inputs is read (the output may overwrite either). */
  for (int32_t row = 0; row < p->rows; ++row, a += p->a_row_stride, b += p->b_row_stride, output += p->size) {
    int32_t i = 0;
    for (; i + 4 <= p->size; i += 4) {
      OPT_ADD_ONE(i)
      OPT_ADD_ONE(i + 1)
      OPT_ADD_ONE(i + 2)
      OPT_ADD_ONE(i + 3)
    }
    for (; i < p->size; ++i) OPT_ADD_ONE(i)
  }
}

void opt_add_s8(const opt_add_params *p, const int8_t *a, const int8_t *b, int8_t *output);

#endif
