#ifndef TG_CONCATENATION_H
#define TG_CONCATENATION_H

#include <stdint.h>

/* The output is `outer` rows, each the concatenation of one block of every input in turn. */
typedef struct {
  int32_t outer, count;
  int32_t block[10]; /* elements each input contributes per row */
  const int8_t *inputs[10];
} tg_concatenation_params;

void tg_concatenation_s8(const tg_concatenation_params *p, int8_t *output);

#endif
