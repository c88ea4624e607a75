#ifndef TG_AVG_POOL2D_H
#define TG_AVG_POOL2D_H

#include "tg_pool2d.h"

/* Average over the in-bounds part of each window, rounded half away from zero, of int8 or int16 elements. */
void tg_avg_pool2d_s8(const tg_pool2d_params *p, const int8_t *input, int8_t *output);
void tg_avg_pool2d_s16(const tg_pool2d_params *p, const int16_t *input, int16_t *output);

#endif
