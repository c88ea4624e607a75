/* Polled driver for the USART of STM32F2/F4 parts (QEMU's netduino2 and netduinoplus2 connect their
 * first -serial to USART1 at 0x40011000). Registers (32-bit): SR 0x00 (bit 7 TXE: transmit data register empty,
 * bit 5 RXNE: a received byte is waiting), DR 0x04, BRR 0x08 (baud divider: mantissa << 4 |
 * sixteenths), CR1 0x0C (bit 13 UE: enable, bit 3 TE, bit 2 RE). On real silicon the GPIO pins and
 * the RCC clock enable would need setting up too; QEMU models neither, so this driver leaves
 * them alone and is for the emulated board only. */
#ifndef TG_UART_STM32_H
#define TG_UART_STM32_H

#include <stddef.h>
#include <stdint.h>

#ifndef TG_UART_BASE
#define TG_UART_BASE 0x40011000u
#endif

#define TG_USART_SR (*(volatile uint32_t *)(TG_UART_BASE + 0x00u))
#define TG_USART_DR (*(volatile uint32_t *)(TG_UART_BASE + 0x04u))
#define TG_USART_BRR (*(volatile uint32_t *)(TG_UART_BASE + 0x08u))
#define TG_USART_CR1 (*(volatile uint32_t *)(TG_UART_BASE + 0x0Cu))

#define TG_USART_SR_TXE (1u << 7)
#define TG_USART_SR_RXNE (1u << 5)
#define TG_USART_CR1_UE (1u << 13)
#define TG_USART_CR1_TE (1u << 3)
#define TG_USART_CR1_RE (1u << 2)

/* clock_hz is the bus clock of the USART (APB2 for USART1), baud the line rate. */
static inline void tg_uart_init(uint32_t clock_hz, uint32_t baud) {
  TG_USART_CR1 = 0;
  TG_USART_BRR = (clock_hz + baud / 2u) / baud; /* 16x oversampling: the divider in sixteenths */
  TG_USART_CR1 = TG_USART_CR1_UE | TG_USART_CR1_TE | TG_USART_CR1_RE;
}

static inline int tg_uart_read_byte(void) {
  while (!(TG_USART_SR & TG_USART_SR_RXNE)) {
  }
  return (int)(TG_USART_DR & 0xFFu);
}

static inline void tg_uart_write(const char *text, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    while (!(TG_USART_SR & TG_USART_SR_TXE)) {
    }
    TG_USART_DR = (uint8_t)text[i];
  }
}

#endif
