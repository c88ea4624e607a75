/* Polled driver for the UART of Arm's Cortex-M System Design Kit (CMSDK APB UART), the UARTs of
 * the MPS2 and MPS3 FPGA images (AN385, AN386, AN500, AN505, AN547). QEMU connects its first
 * -serial to UART0: 0x40004000 on AN385/386/500, 0x40200000 on AN505 and 0x49303000 on AN547
 * (0x50200000 and 0x59303000 from the Secure state, where tinygen's firmware runs). Registers (32-bit): DATA 0x00, STATE 0x04 (bit 0 TX buffer full, bit 1 RX buffer
 * full), CTRL 0x08 (bit 0 TX enable, bit 1 RX enable), BAUDDIV 0x10 (clock / baud, at least 16).
 * One byte of buffering each way; no interrupts are used. */
#ifndef TG_UART_CMSDK_H
#define TG_UART_CMSDK_H

#include <stddef.h>
#include <stdint.h>

#ifndef TG_UART_BASE
#define TG_UART_BASE 0x40004000u
#endif

#define TG_UART_DATA (*(volatile uint32_t *)(TG_UART_BASE + 0x00u))
#define TG_UART_STATE (*(volatile uint32_t *)(TG_UART_BASE + 0x04u))
#define TG_UART_CTRL (*(volatile uint32_t *)(TG_UART_BASE + 0x08u))
#define TG_UART_BAUDDIV (*(volatile uint32_t *)(TG_UART_BASE + 0x10u))

#define TG_UART_TX_FULL 1u
#define TG_UART_RX_FULL 2u

static inline void tg_uart_init(uint32_t clock_hz, uint32_t baud) {
  uint32_t divider = clock_hz / baud;
  TG_UART_CTRL = 0;
  TG_UART_BAUDDIV = divider < 16u ? 16u : divider;
  TG_UART_CTRL = 3u; /* TX and RX enabled, no interrupts */
}

static inline int tg_uart_read_byte(void) {
  while (!(TG_UART_STATE & TG_UART_RX_FULL)) {
  }
  return (int)(TG_UART_DATA & 0xFFu);
}

static inline void tg_uart_write(const char *text, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    while (TG_UART_STATE & TG_UART_TX_FULL) {
    }
    TG_UART_DATA = (uint8_t)text[i];
  }
}

#endif
