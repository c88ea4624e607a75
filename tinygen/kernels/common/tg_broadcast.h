/* The walk shared by broadcasting binary kernels (ADD/SUB/MUL, MAXIMUM/MINIMUM, PRELU,
 * SQUARED_DIFFERENCE): the output as `rank` dims, outermost first, with each input's element
 * stride along them (0 where it broadcasts). Generation time merges dims so that the innermost is
 * as long as possible; each kernel supplies what to do with one innermost row. One walker per
 * element type (tg_broadcast_s8, tg_broadcast_s16), from one definition. */
#ifndef TG_BROADCAST_H
#define TG_BROADCAST_H

#include <stdint.h>

#define TG_BROADCAST_MAX_RANK 6

typedef struct {
  int32_t rank;
  int32_t shape[TG_BROADCAST_MAX_RANK];
  int32_t a_stride[TG_BROADCAST_MAX_RANK], b_stride[TG_BROADCAST_MAX_RANK];
} tg_broadcast_walk;

/* tg_broadcast_row_<suffix>: output[i] = f(a[i * a_step], b[i * b_step]) for i < n. */
#define TG_BROADCAST_DEFINE(suffix, elem_t)                                                                 \
  typedef void (*tg_broadcast_row_##suffix)(const void *params, const elem_t *a, int32_t a_step,            \
                                            const elem_t *b, int32_t b_step, elem_t *output, int32_t n);    \
                                                                                                            \
  static inline void tg_broadcast_##suffix(const tg_broadcast_walk *w, tg_broadcast_row_##suffix row,       \
                                           const void *params, const elem_t *a, const elem_t *b,            \
                                           elem_t *output) {                                                \
    const int32_t inner = w->rank - 1;                                                                      \
    int32_t index[TG_BROADCAST_MAX_RANK] = {0};                                                             \
    int32_t rows = 1;                                                                                       \
    for (int32_t d = 0; d < inner; ++d) rows *= w->shape[d];                                                \
    int32_t a_pos = 0, b_pos = 0;                                                                           \
    for (int32_t r = 0; r < rows; ++r) {                                                                    \
      row(params, a + a_pos, w->a_stride[inner], b + b_pos, w->b_stride[inner], output, w->shape[inner]);   \
      output += w->shape[inner];                                                                            \
      for (int32_t d = inner - 1; d >= 0; --d) {                                                            \
        a_pos += w->a_stride[d];                                                                            \
        b_pos += w->b_stride[d];                                                                            \
        if (++index[d] < w->shape[d]) break;                                                                \
        a_pos -= w->a_stride[d] * w->shape[d];                                                              \
        b_pos -= w->b_stride[d] * w->shape[d];                                                              \
        index[d] = 0;                                                                                       \
      }                                                                                                     \
    }                                                                                                       \
  }

TG_BROADCAST_DEFINE(s8, int8_t)
TG_BROADCAST_DEFINE(s16, int16_t)

#endif
