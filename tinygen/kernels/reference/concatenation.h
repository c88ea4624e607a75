#ifndef TG_CONCATENATION_H
#define TG_CONCATENATION_H

#include <stdint.h>

/* The output is `outer` rows, each the concatenation of one block of every input in turn. */
typedef struct {
  int32_t outer, count;
  int32_t block[10]; /* bytes each input contributes per row */
  const void *inputs[10];
} tg_concatenation_params;

/* CONCATENATION and PACK of any element type (int8, int16): rows of bytes. */
void tg_concatenation(const tg_concatenation_params *p, void *output);

#endif
