/* Two models generated with the prefixes `a` and `b` (tinygen --prefix) in one program, for
 * tests/models/test_generated_api.py (host) and tests/emulation/test_two_models.py (Cortex-M):
 * samples in, each one every input of model a then every input of model b; out, for each sample,
 * every output of a then every output of b. Host: stdin and stdout. Cortex-M: inputs.bin and
 * outputs.bin through semihosting (templates/firmware/semihost.h).
 * With SHARED_ARENA both models run in one caller's arena (compile with -DA_ARENA=shared_arena
 * -DB_ARENA=shared_arena): safe when both were generated with --io-buffers separate. */
#include <stdint.h>

#include "a/model.h"
#include "b/model.h"

#ifdef SHARED_ARENA
#define LARGER(x, y) ((x) > (y) ? (x) : (y))
uint8_t shared_arena[LARGER(A_ARENA_BYTES, B_ARENA_BYTES)] __attribute__((aligned(16)));
#endif

#ifdef __arm__
#include "semihost.h"
static int32_t samples_in, results_out;
static int open_files(void) {
  samples_in = tg_open("inputs.bin", TG_OPEN_RB);
  results_out = tg_open("outputs.bin", TG_OPEN_WB);
  return samples_in >= 0 && results_out >= 0;
}
static int read_bytes(void *to, uint32_t n) { return tg_read(samples_in, to, n) == 0; }
static void write_bytes(const void *from, uint32_t n) { tg_write(results_out, from, n); }
static int at_end(void) { return 1; }  /* a short read is the end: the host sends whole samples */
#else
#include <stdio.h>
static int open_files(void) { return 1; }
static int read_bytes(void *to, uint32_t n) { return fread(to, 1, n, stdin) == n; }
static void write_bytes(const void *from, uint32_t n) { fwrite(from, 1, n, stdout); }
static int at_end(void) { return feof(stdin); }
#endif

static int read_inputs(void) {
  for (int i = 0; i < A_NUM_INPUTS; ++i) {
    if (!read_bytes(a_input(i), a_input_info[i].bytes)) return 0;
  }
  for (int i = 0; i < B_NUM_INPUTS; ++i) {
    if (!read_bytes(b_input(i), b_input_info[i].bytes)) return 0;
  }
  return 1;
}

int main(void) {
  if (!open_files()) return 2;
  while (read_inputs()) {
    a_invoke();
    b_invoke();
    for (int o = 0; o < A_NUM_OUTPUTS; ++o) write_bytes(a_output(o), a_output_info[o].bytes);
    for (int o = 0; o < B_NUM_OUTPUTS; ++o) write_bytes(b_output(o), b_output_info[o].bytes);
  }
  return at_end() ? 0 : 1;
}
