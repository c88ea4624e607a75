/* A stand-in for the Arduino API, enough to build tinygen's PlatformIO app on the host in tests:
 * Serial reads stdin and writes stdout. */
#ifndef ARDUINO_STUB_H
#define ARDUINO_STUB_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static inline unsigned long millis() { return (unsigned long)(clock() / (CLOCKS_PER_SEC / 1000)); }
static inline unsigned long micros() { return (unsigned long)(clock() / (CLOCKS_PER_SEC / 1000000)); }
static inline void delay(unsigned long) {}

class StubSerial {
 public:
  void begin(unsigned long) {}
  explicit operator bool() const { return true; }
  int available() {
    int c = getchar();
    if (c == EOF) exit_when_drained();
    ungetc(c, stdin);
    return 1;
  }
  int read() { return getchar(); }
  size_t write(const char *text, size_t n) { return fwrite(text, 1, n, stdout); }
  void print(const char *text) { fputs(text, stdout); }
  void print(unsigned long v) { printf("%lu", v); }
  void print(unsigned int v) { printf("%u", v); }
  void println(const char *text) { puts(text); }

 private:
  static void exit_when_drained();
};

extern StubSerial Serial;
#endif
