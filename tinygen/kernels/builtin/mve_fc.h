/* Helium (MVE) fully connected layer (FULLY_CONNECTED) for the Cortex-M55, four output units per
 * pass over the input row.
 *
 * The weights of four consecutive units are interleaved per 16 depth values at generation time,
 * so that one pointer walks them: per 16 values one input load, four weight loads and four
 * VMLADAVA, in a tail-predicated loop that reads nothing past the input (mve_common.h). The input
 * zero point is folded into the bias (bias - zero_point * sum(weights)); the four accumulators are
 * requantized as one vector and stored as four bytes (fewer for a last partial block).
 *
 * mve_fc_s8_inline is an always-inline body: each call site gets code with its shapes folded in.
 */
#ifndef MVE_FC_H
#define MVE_FC_H

#include <stdint.h>

#include "mve_common.h"

typedef struct {
  int32_t batches, depth, units;
  int32_t stride16; /* depth rounded up to 16: the weights' pitch */
  int32_t left_shift, sign_fix, output_offset, act_min, act_max; /* requantization (mve_common.h) */
  const int8_t *weights; /* [units / 4 rounded up][stride16 / 16][4 units][16], zero-padded */
  /* Per block of four units, one lane each: */
  const int32_t *bias;   /* [units / 4 rounded up][4]: bias - input zero point * sum(weights) */
  const int32_t *rq;     /* [units / 4 rounded up, or 1][record words (mve_common.h)] */
  int32_t rq_stride;     /* a record's words, or 0: one record for all */
} mve_fc_params;

MVE_ALWAYS_INLINE void mve_fc_s8_inline(const mve_fc_params *p, const int8_t *input, int8_t *output) {
  for (int32_t b = 0; b < p->batches; ++b) {
    const int8_t *x = input + b * p->depth;
    int8_t *out = output + b * p->units;
    const int8_t *w = p->weights;
    const int32_t *bias = p->bias, *rq = p->rq;
    for (int32_t u = 0; u < p->units; u += 4) {
      int32_t acc[4];
      mve_dot_1x4(x, w, p->depth, acc);
      const int32x4_t y = MVE_REQUANTIZE(p, mve_pack4(acc[0], acc[1], acc[2], acc[3]), bias, rq);
      vstrbq_p_s32(out + u, y, mve_lanes(p->units - u < 4 ? p->units - u : 4));
      w += 4 * p->stride16;
      bias += 4;
      rq += p->rq_stride;
    }
  }
}

#endif
