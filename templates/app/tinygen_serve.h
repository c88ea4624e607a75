/* The serial protocol between a host and a board running a tinygen model, the same on a real
 * board's serial port and on an emulated board's UART:
 *   board -> host, once:  "TINYGEN READY <input bytes> <output bytes>\n"
 *   host  -> board:       'I' then every input's raw bytes, in order
 *   board -> host:        "O <cycles> <outputs as hex>\n"
 *   host  -> board:       'P' then every input's raw bytes: the same, profiled
 *   board -> host:        "L <steps> <cycles of each step>\n" then the "O" line; steps is 0 unless
 *                         the firmware is built with TINYGEN_PROFILE (tinygen_serve.c then keeps
 *                         the model's tinygen_profile_mark() hook)
 * Lines starting with '#' are comments for people (the host skips them). */
#ifndef TINYGEN_SERVE_H
#define TINYGEN_SERVE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
  int (*read_byte)(void);                     /* blocks until a byte arrives; returns 0..255 */
  void (*write)(const char *text, size_t n);
  uint32_t (*cycles)(void);                   /* a free-running cycle counter */
} tinygen_port;

void tinygen_serve_banner(const tinygen_port *port);
/* Waits for one request ('I' or 'P'), runs the model on it and answers. */
void tinygen_serve_one(const tinygen_port *port);
/* Runs the model on the inputs already in place and prints its outputs and cycles as comments. */
void tinygen_report(const tinygen_port *port);

#ifdef __cplusplus
}
#endif

#endif
