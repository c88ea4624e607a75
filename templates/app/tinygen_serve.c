#include "tinygen_serve.h"

#include <string.h>

#include "model.h"

static uint32_t total_bytes(const tinygen_tensor_info *info, int count) {
  uint32_t n = 0;
  for (int i = 0; i < count; ++i) n += info[i].bytes;
  return n;
}

static void write_text(const tinygen_port *port, const char *text) { port->write(text, strlen(text)); }

static void write_number(const tinygen_port *port, int32_t value) {
  char digits[12];
  int n = 0;
  uint32_t magnitude = value < 0 ? 0u - (uint32_t)value : (uint32_t)value;
  do {
    digits[sizeof(digits) - 1 - n++] = (char)('0' + magnitude % 10);
    magnitude /= 10;
  } while (magnitude);
  if (value < 0) digits[sizeof(digits) - 1 - n++] = '-';
  port->write(digits + sizeof(digits) - n, (size_t)n);
}

#ifdef TINYGEN_PROFILE
static const tinygen_port *marking_port;
static uint32_t stamps[TINYGEN_NUM_STEPS + 1];

void tinygen_profile_mark(int step) { stamps[step] = marking_port->cycles(); }
enum { PROFILED_STEPS = TINYGEN_NUM_STEPS };
#else
enum { PROFILED_STEPS = 0 };
#endif

static uint32_t timed_invoke(const tinygen_port *port) {
#ifdef TINYGEN_PROFILE
  marking_port = port;
#endif
  uint32_t start = port->cycles();
  tinygen_invoke();
  return port->cycles() - start;
}

/* "L <steps> <cycles of each>": each step's span between its marks, the marks' own cost included. */
static void write_layers(const tinygen_port *port) {
  write_text(port, "L ");
  write_number(port, PROFILED_STEPS);
#ifdef TINYGEN_PROFILE
  for (int i = 0; i < PROFILED_STEPS; ++i) {
    write_text(port, " ");
    write_number(port, (int32_t)(stamps[i + 1] - stamps[i]));
  }
#endif
  write_text(port, "\n");
}

void tinygen_serve_banner(const tinygen_port *port) {
  write_text(port, "TINYGEN READY ");
  write_number(port, (int32_t)total_bytes(tinygen_input_info, TINYGEN_NUM_INPUTS));
  write_text(port, " ");
  write_number(port, (int32_t)total_bytes(tinygen_output_info, TINYGEN_NUM_OUTPUTS));
  write_text(port, "\n");
}

void tinygen_serve_one(const tinygen_port *port) {
  int request;
  do {
    request = port->read_byte();
  } while (request != 'I' && request != 'P');
  for (int i = 0; i < TINYGEN_NUM_INPUTS; ++i) {
    uint8_t *dst = (uint8_t *)tinygen_input(i);
    for (uint32_t k = 0; k < tinygen_input_info[i].bytes; ++k) dst[k] = (uint8_t)port->read_byte();
  }
  uint32_t cycles = timed_invoke(port);
  if (request == 'P') write_layers(port);
  static const char hex[] = "0123456789abcdef";
  write_text(port, "O ");
  write_number(port, (int32_t)cycles);
  write_text(port, " ");
  for (int o = 0; o < TINYGEN_NUM_OUTPUTS; ++o) {
    const uint8_t *src = (const uint8_t *)tinygen_output(o);
    for (uint32_t k = 0; k < tinygen_output_info[o].bytes; ++k) {
      char pair[2] = {hex[src[k] >> 4], hex[src[k] & 15]};
      port->write(pair, 2);
    }
  }
  write_text(port, "\n");
}

void tinygen_report(const tinygen_port *port) {
  uint32_t cycles = timed_invoke(port);
  for (int o = 0; o < TINYGEN_NUM_OUTPUTS; ++o) {
    const tinygen_tensor_info *info = &tinygen_output_info[o];
    write_text(port, "# output ");
    write_number(port, o);
    write_text(port, ":");
    const void *data = tinygen_output(o);
    uint32_t count = info->dtype == TINYGEN_FLOAT32 || info->dtype == TINYGEN_INT32 ? info->bytes / 4 : info->bytes;
    for (uint32_t k = 0; k < count; ++k) {
      write_text(port, " ");
      if (info->dtype == TINYGEN_UINT8) write_number(port, ((const uint8_t *)data)[k]);
      else if (info->dtype == TINYGEN_INT32) write_number(port, ((const int32_t *)data)[k]);
      else if (info->dtype == TINYGEN_FLOAT32) write_number(port, (int32_t)(((const float *)data)[k] * 1000.0f));
      else write_number(port, ((const int8_t *)data)[k]);
    }
    write_text(port, info->dtype == TINYGEN_FLOAT32 ? " (x1000)\n" : "\n");
  }
  write_text(port, "# cycles ");
  write_number(port, (int32_t)cycles);
  write_text(port, "\n");
}
