#ifndef TG_BATCH_MATMUL_H
#define TG_BATCH_MATMUL_H

#include <stdint.h>

typedef struct {
  /* The batch dims as up to 3 loops, outermost first; strides are in elements and 0 where an
   * operand broadcasts. */
  int32_t batch_count[3], lhs_batch_stride[3], rhs_batch_stride[3];
  int32_t rows, cols, depth; /* output [rows][cols] = lhs [rows][depth] x rhs [depth][cols] */
  /* Element strides, so that a transposed (adjoint) operand is read in place. */
  int32_t lhs_row_stride, lhs_depth_stride, rhs_depth_stride, rhs_col_stride;
  int32_t lhs_offset, rhs_offset, output_offset, multiplier, shift;
} tg_batch_matmul_params;

/* Batched int8 matrix product with broadcast batch dims. */
void tg_batch_matmul_s8(const tg_batch_matmul_params *p, const int8_t *lhs, const int8_t *rhs, int8_t *output);

#endif
