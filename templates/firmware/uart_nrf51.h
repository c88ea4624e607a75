/* Polled driver for the UART of the nRF51 (QEMU's microbit connects its first -serial to it, at
 * 0x40002000). Tasks and events are 32-bit registers: writing 1 to TASKS_STARTRX (0x000) or
 * TASKS_STARTTX (0x008) starts a direction; EVENTS_RXDRDY (0x108) turns 1 when a byte waits in RXD
 * (0x518), EVENTS_TXDRDY (0x11C) when the byte written to TXD (0x51C) is sent; software clears
 * them. ENABLE (0x500) takes 4 for the UART; BAUDRATE (0x524) holds baud * 2**32 / 16 MHz rounded
 * to a multiple of 0x1000 (0x01D7E000 for 115200). Pin selection is left alone: QEMU does not
 * model the pins, so this driver is for the emulated board only. */
#ifndef TG_UART_NRF51_H
#define TG_UART_NRF51_H

#include <stddef.h>
#include <stdint.h>

#ifndef TG_UART_BASE
#define TG_UART_BASE 0x40002000u
#endif

#define TG_NRF_REG(offset) (*(volatile uint32_t *)(TG_UART_BASE + (offset)))
#define TG_NRF_TASKS_STARTRX TG_NRF_REG(0x000u)
#define TG_NRF_TASKS_STARTTX TG_NRF_REG(0x008u)
#define TG_NRF_EVENTS_RXDRDY TG_NRF_REG(0x108u)
#define TG_NRF_EVENTS_TXDRDY TG_NRF_REG(0x11Cu)
#define TG_NRF_ENABLE TG_NRF_REG(0x500u)
#define TG_NRF_RXD TG_NRF_REG(0x518u)
#define TG_NRF_TXD TG_NRF_REG(0x51Cu)
#define TG_NRF_BAUDRATE TG_NRF_REG(0x524u)

#define TG_NRF_UART_CLOCK_HZ 16000000u /* the UART's own clock, whatever the core runs at */

/* clock_hz is unused: the nRF51 UART divides its fixed 16 MHz. */
static inline void tg_uart_init(uint32_t clock_hz, uint32_t baud) {
  (void)clock_hz;
  uint64_t step = (((uint64_t)baud << 32) + TG_NRF_UART_CLOCK_HZ / 2u) / TG_NRF_UART_CLOCK_HZ;
  TG_NRF_ENABLE = 4u;
  TG_NRF_BAUDRATE = (uint32_t)((step + 0x800u) & ~(uint64_t)0xFFFu);
  TG_NRF_EVENTS_RXDRDY = 0;
  TG_NRF_EVENTS_TXDRDY = 0;
  TG_NRF_TASKS_STARTRX = 1u;
  TG_NRF_TASKS_STARTTX = 1u;
}

static inline int tg_uart_read_byte(void) {
  while (!TG_NRF_EVENTS_RXDRDY) {
  }
  TG_NRF_EVENTS_RXDRDY = 0;
  return (int)(TG_NRF_RXD & 0xFFu);
}

static inline void tg_uart_write(const char *text, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    TG_NRF_TXD = (uint8_t)text[i];
    while (!TG_NRF_EVENTS_TXDRDY) {
    }
    TG_NRF_EVENTS_TXDRDY = 0;
  }
}

#endif
