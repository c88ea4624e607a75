#include "batch_matmul.h"

#include "tg_common.h"

static void matmul(const tg_batch_matmul_params *p, const int8_t *lhs, const int8_t *rhs, int8_t *output) {
  for (int32_t r = 0; r < p->rows; ++r) {
    for (int32_t c = 0; c < p->cols; ++c) {
      const int8_t *a = lhs + r * p->lhs_row_stride;
      const int8_t *b = rhs + c * p->rhs_col_stride;
      int32_t acc = 0;
      for (int32_t k = 0; k < p->depth; ++k) {
        acc += (a[k * p->lhs_depth_stride] + p->lhs_offset) * (b[k * p->rhs_depth_stride] + p->rhs_offset);
      }
      *output++ = tg_requantize_s8(acc, p->multiplier, p->shift, p->output_offset, INT8_MIN, INT8_MAX);
    }
  }
}

void tg_batch_matmul_s8(const tg_batch_matmul_params *p, const int8_t *lhs, const int8_t *rhs, int8_t *output) {
  const int32_t matrix = p->rows * p->cols;
  for (int32_t i = 0; i < p->batch_count[0]; ++i) {
    for (int32_t j = 0; j < p->batch_count[1]; ++j) {
      for (int32_t k = 0; k < p->batch_count[2]; ++k) {
        const int32_t lhs_pos = i * p->lhs_batch_stride[0] + j * p->lhs_batch_stride[1] + k * p->lhs_batch_stride[2];
        const int32_t rhs_pos = i * p->rhs_batch_stride[0] + j * p->rhs_batch_stride[1] + k * p->rhs_batch_stride[2];
        matmul(p, lhs + lhs_pos, rhs + rhs_pos, output);
        output += matrix;
      }
    }
  }
}
