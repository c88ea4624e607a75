#ifndef TG_MAX_POOL2D_H
#define TG_MAX_POOL2D_H

#include "tg_pool2d.h"

/* Maximum over the in-bounds part of each window, of int8 or int16 elements. */
void tg_max_pool2d_s8(const tg_pool2d_params *p, const int8_t *input, int8_t *output);
void tg_max_pool2d_s16(const tg_pool2d_params *p, const int16_t *input, int16_t *output);

#endif
