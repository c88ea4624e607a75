/* One model (default prefix) invoked twice on the same input, for
 * tests/models/test_generated_api.py: reads one sample on stdin, runs it twice without writing
 * the input again, and writes the first run's outputs on stdout. On stderr: whether the first
 * invoke left the input as it was ("input kept" / "input overwritten") and whether the second run
 * gave the same outputs ("outputs repeat" / "outputs differ"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

static uint8_t *copy_of(const void *data, uint32_t n) {
  uint8_t *copy = malloc(n);
  memcpy(copy, data, n);
  return copy;
}

int main(void) {
  uint8_t *inputs[TINYGEN_NUM_INPUTS], *outputs[TINYGEN_NUM_OUTPUTS];
  for (int i = 0; i < TINYGEN_NUM_INPUTS; ++i) {
    if (fread(tinygen_input(i), 1, tinygen_input_info[i].bytes, stdin) != tinygen_input_info[i].bytes) return 2;
    inputs[i] = copy_of(tinygen_input(i), tinygen_input_info[i].bytes);
  }
  tinygen_invoke();
  int input_kept = 1, outputs_repeat = 1;
  for (int i = 0; i < TINYGEN_NUM_INPUTS; ++i) {
    input_kept &= memcmp(inputs[i], tinygen_input(i), tinygen_input_info[i].bytes) == 0;
  }
  for (int o = 0; o < TINYGEN_NUM_OUTPUTS; ++o) {
    outputs[o] = copy_of(tinygen_output(o), tinygen_output_info[o].bytes);
    fwrite(outputs[o], 1, tinygen_output_info[o].bytes, stdout);
  }
  tinygen_invoke();
  for (int o = 0; o < TINYGEN_NUM_OUTPUTS; ++o) {
    outputs_repeat &= memcmp(outputs[o], tinygen_output(o), tinygen_output_info[o].bytes) == 0;
  }
  fprintf(stderr, "%s\n%s\n", input_kept ? "input kept" : "input overwritten",
          outputs_repeat ? "outputs repeat" : "outputs differ");
  return 0;
}
