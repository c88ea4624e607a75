/* Start-up code of the tinygen emulation firmware for Cortex-M (bare metal, no C library start-up).
 *
 * Reset: enable the FPU when the code is built for one, copy .data from flash, zero .bss (the model's
 * arena lives there), paint the stack so its use can be measured, call main() and end the emulation
 * with its return value through semihosting. Every fault prints what the core recorded and exits
 * with status 3. Memory layout: link.ld (generated from the board's memory map). */
#include <stdint.h>

#include "semihost.h"

extern uint32_t __tg_stack_bottom[], __tg_stack_top[];
extern uint32_t __tg_data_load[], __tg_data_start[], __tg_data_end[];
extern uint32_t __tg_bss_start[], __tg_bss_end[];

#define TG_STACK_PAINT 0x5AC3A55Cu

int main(void);
void tg_reset(void);
void tg_fault(void);
void tg_fault_report(const uint32_t *frame, uint32_t exc_return);
void tg_start(void);

/* The firmware's SysTick handler (app.c); a weak default keeps start-up usable on its own. */
void tg_systick(void) __attribute__((weak));
void tg_systick(void) {}

typedef union {
  void (*handler)(void);
  void *stack;
} tg_vector;

/* Only the 16 core exceptions: the firmware enables no peripheral interrupt. */
__attribute__((section(".vectors"), used)) const tg_vector tg_vectors[16] = {
    {.stack = __tg_stack_top},
    {.handler = tg_reset},
    {.handler = tg_fault}, /* NMI */
    {.handler = tg_fault}, /* HardFault */
    {.handler = tg_fault}, /* MemManage */
    {.handler = tg_fault}, /* BusFault */
    {.handler = tg_fault}, /* UsageFault */
    {.handler = 0},
    {.handler = 0},
    {.handler = 0},
    {.handler = 0},
    {.handler = tg_fault}, /* SVCall */
    {.handler = tg_fault}, /* DebugMonitor */
    {.handler = 0},
    {.handler = tg_fault}, /* PendSV */
    {.handler = tg_systick},
};

/* No C before the FPU is on: the compiler may use FP registers anywhere once -mfloat-abi=hard. */
__attribute__((naked, noreturn)) void tg_reset(void) {
  __asm__ volatile(
#if defined(__ARM_FP)
      "movw r0, #0xED88\n\t" /* CPACR */
      "movt r0, #0xE000\n\t"
      "ldr r1, [r0]\n\t"
      "orr r1, r1, #0xF00000\n\t" /* full access to CP10 and CP11 */
      "str r1, [r0]\n\t"
      "dsb\n\t"
      "isb\n\t"
#endif
      /* A register branch: reaches tg_start wherever the linker puts it, on ARMv6-M too. */
      "ldr r0, =tg_start\n\t"
      "bx r0\n\t"
      ".ltorg\n\t");
}

__attribute__((noreturn, used)) void tg_start(void) {
  uint32_t *src = __tg_data_load, *dst = __tg_data_start;
  while (dst < __tg_data_end) *dst++ = *src++;
  for (dst = __tg_bss_start; dst < __tg_bss_end; ++dst) *dst = 0;
  /* Paint the stack below the current frame; app.c measures how much of it was used. */
  volatile uint32_t *p = (volatile uint32_t *)__tg_stack_bottom;
  uint32_t here;
  __asm__ volatile("mov %0, sp" : "=r"(here));
  while ((uint32_t)(uintptr_t)p + 64u < here) *p++ = TG_STACK_PAINT;
  tg_exit((uint32_t)main());
}

/* Bytes of stack used at most so far: the painted words nobody has overwritten are unused. */
uint32_t tg_stack_used(void) {
  const uint32_t *p = __tg_stack_bottom;
  while (p < __tg_stack_top && *p == TG_STACK_PAINT) ++p;
  return (uint32_t)((uintptr_t)__tg_stack_top - (uintptr_t)p);
}

/* Which stack holds the exception frame: bit 2 of EXC_RETURN. Written with the ARMv6-M subset
 * (no IT blocks, no TST with an immediate), so one handler serves every Cortex-M. */
__attribute__((naked)) void tg_fault(void) {
  __asm__ volatile(
      "movs r0, #4\n\t"
      "mov r1, lr\n\t"
      "tst r0, r1\n\t"
      "bne 1f\n\t"
      "mrs r0, msp\n\t"
      "b 2f\n"
      "1:\n\t"
      "mrs r0, psp\n"
      "2:\n\t"
      "ldr r2, =tg_fault_report\n\t"
      "bx r2\n\t"
      ".ltorg\n\t");
}

static char *tg_put_text(char *at, const char *s) {
  while (*s) *at++ = *s++;
  return at;
}

static char *tg_put_hex(char *at, uint32_t v) {
  *at++ = '0';
  *at++ = 'x';
  for (int shift = 28; shift >= 0; shift -= 4) *at++ = "0123456789abcdef"[(v >> shift) & 0xFu];
  return at;
}

#define TG_REG(address) (*(volatile uint32_t *)(address))

__attribute__((noreturn, used)) void tg_fault_report(const uint32_t *frame, uint32_t exc_return) {
  static const char *const names[16] = {"?", "Reset", "NMI", "HardFault", "MemManage", "BusFault", "UsageFault",
                                        "?", "?", "?", "?", "SVCall", "DebugMonitor", "?", "PendSV", "SysTick"};
  uint32_t ipsr;
  __asm__ volatile("mrs %0, ipsr" : "=r"(ipsr));
  char line[200], *at = line;
  at = tg_put_text(at, "tinygen firmware: fault: ");
  at = tg_put_text(at, names[ipsr & 15u]);
  at = tg_put_text(at, " pc=");
  at = tg_put_hex(at, frame[6]);
  at = tg_put_text(at, " lr=");
  at = tg_put_hex(at, frame[5]);
#if !defined(__ARM_ARCH_6M__) && !defined(__ARM_ARCH_8M_BASE__) /* these have no fault status registers */
  at = tg_put_text(at, " cfsr=");
  at = tg_put_hex(at, TG_REG(0xE000ED28u));
  at = tg_put_text(at, " hfsr=");
  at = tg_put_hex(at, TG_REG(0xE000ED2Cu));
  at = tg_put_text(at, " mmfar=");
  at = tg_put_hex(at, TG_REG(0xE000ED34u));
  at = tg_put_text(at, " bfar=");
  at = tg_put_hex(at, TG_REG(0xE000ED38u));
#endif
  at = tg_put_text(at, " exc_return=");
  at = tg_put_hex(at, exc_return);
  at = tg_put_text(at, "\n");
  *at = '\0';
  tg_puts(line);
  tg_exit(3);
}
