#include "minmax.h"

static void max_row(const void *params, const int8_t *a, int32_t a_step, const int8_t *b, int32_t b_step,
                    int8_t *output, int32_t n) {
  (void)params;
  for (int32_t i = 0; i < n; ++i) {
    const int8_t x = a[i * a_step], y = b[i * b_step];
    output[i] = x > y ? x : y;
  }
}

static void min_row(const void *params, const int8_t *a, int32_t a_step, const int8_t *b, int32_t b_step,
                    int8_t *output, int32_t n) {
  (void)params;
  for (int32_t i = 0; i < n; ++i) {
    const int8_t x = a[i * a_step], y = b[i * b_step];
    output[i] = x < y ? x : y;
  }
}

void tg_maximum_s8(const tg_broadcast_walk *walk, const int8_t *a, const int8_t *b, int8_t *output) {
  tg_broadcast_s8(walk, max_row, 0, a, b, output);
}

void tg_minimum_s8(const tg_broadcast_walk *walk, const int8_t *a, const int8_t *b, int8_t *output) {
  tg_broadcast_s8(walk, min_row, 0, a, b, output);
}
