/* Arm semihosting calls for the tinygen emulation firmware: a `bkpt 0xAB` with the operation in
 * r0 and a pointer to its argument block in r1; the result comes back in r0. QEMU serves them with
 * -semihosting-config enable=on,target=native (files relative to QEMU's working directory). On a
 * real board they need a debugger attached that serves semihosting. */
#ifndef TG_SEMIHOST_H
#define TG_SEMIHOST_H

#include <stdint.h>

enum {
  TG_SYS_OPEN = 0x01,
  TG_SYS_CLOSE = 0x02,
  TG_SYS_WRITE0 = 0x04,
  TG_SYS_WRITE = 0x05,
  TG_SYS_READ = 0x06,
  TG_SYS_FLEN = 0x0C,
  TG_SYS_EXIT = 0x18,
  TG_SYS_EXIT_EXTENDED = 0x20
};

/* SYS_OPEN modes, as fopen() spells them: 1 is "rb", 5 is "wb". */
enum { TG_OPEN_RB = 1, TG_OPEN_WB = 5 };

#define TG_ADP_STOPPED_APPLICATION_EXIT 0x20026u

static inline uint32_t tg_semihost(uint32_t op, const void *args) {
  register uint32_t r0 __asm__("r0") = op;
  register const void *r1 __asm__("r1") = args;
  __asm__ volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
  return r0;
}

static inline void tg_puts(const char *s) { tg_semihost(TG_SYS_WRITE0, s); }

/* A handle, or -1 when the file cannot be opened. */
static inline int32_t tg_open(const char *path, uint32_t mode) {
  uint32_t length = 0;
  while (path[length]) ++length;
  const uint32_t args[3] = {(uint32_t)(uintptr_t)path, mode, length};
  return (int32_t)tg_semihost(TG_SYS_OPEN, args);
}

static inline void tg_close(int32_t handle) {
  const uint32_t args[1] = {(uint32_t)handle};
  tg_semihost(TG_SYS_CLOSE, args);
}

/* Both return the number of bytes NOT transferred: 0 means all of them. */
static inline uint32_t tg_read(int32_t handle, void *buffer, uint32_t bytes) {
  const uint32_t args[3] = {(uint32_t)handle, (uint32_t)(uintptr_t)buffer, bytes};
  return tg_semihost(TG_SYS_READ, args);
}

static inline uint32_t tg_write(int32_t handle, const void *buffer, uint32_t bytes) {
  const uint32_t args[3] = {(uint32_t)handle, (uint32_t)(uintptr_t)buffer, bytes};
  return tg_semihost(TG_SYS_WRITE, args);
}

/* The file's length in bytes, or -1. */
static inline int32_t tg_flen(int32_t handle) {
  const uint32_t args[1] = {(uint32_t)handle};
  return (int32_t)tg_semihost(TG_SYS_FLEN, args);
}

/* Ends the emulation: QEMU exits with `code` (SYS_EXIT_EXTENDED carries it on 32-bit Arm). */
static inline __attribute__((noreturn)) void tg_exit(uint32_t code) {
  const uint32_t args[2] = {TG_ADP_STOPPED_APPLICATION_EXIT, code};
  tg_semihost(TG_SYS_EXIT_EXTENDED, args);
  /* A host without SYS_EXIT_EXTENDED: plain SYS_EXIT (exit status 0 for a clean stop, 1 for a run-time error). */
  tg_semihost(TG_SYS_EXIT, (const void *)(uintptr_t)(code == 0 ? TG_ADP_STOPPED_APPLICATION_EXIT : 0x20023u));
  for (;;) {
  }
}

#endif
