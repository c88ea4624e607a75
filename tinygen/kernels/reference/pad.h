#ifndef TG_PAD_H
#define TG_PAD_H

#include <stdint.h>

/* Lower ranks are padded with leading 1s. */
typedef struct {
  int32_t in_dims[5], out_dims[5];
  int32_t before[5]; /* padding ahead of the input along each axis */
  int32_t value;
} tg_pad_params;

/* Constant padding of int8 or int16 elements. */
void tg_pad_s8(const tg_pad_params *p, const int8_t *input, int8_t *output);
void tg_pad_s16(const tg_pad_params *p, const int16_t *input, int16_t *output);

#endif
