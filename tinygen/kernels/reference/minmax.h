#ifndef TG_MINMAX_H
#define TG_MINMAX_H

#include <stdint.h>

#include "tg_broadcast.h"

/* Element-wise maximum / minimum of the raw int8 values (TFLM ignores the quantization). */
void tg_maximum_s8(const tg_broadcast_walk *walk, const int8_t *a, const int8_t *b, int8_t *output);
void tg_minimum_s8(const tg_broadcast_walk *walk, const int8_t *a, const int8_t *b, int8_t *output);

#endif
