#ifndef TG_ARG_MINMAX_H
#define TG_ARG_MINMAX_H

#include <stdint.h>

/* The input is outer x axis_size x inner; the output outer x inner indices along the axis. */
typedef struct {
  int32_t outer, axis_size, inner;
  int32_t find_max; /* else the minimum */
} tg_arg_minmax_params;

void tg_arg_minmax_s8(const tg_arg_minmax_params *p, const int8_t *input, int32_t *output);

#endif
