/* Drives setup() and loop() like the Arduino core does, until stdin ends. */
#include <stdlib.h>

#include "Arduino.h"

StubSerial Serial;

void StubSerial::exit_when_drained() {
  fflush(stdout);
  exit(0);
}

void setup();
void loop();

int main() {
  setup();
  for (;;) loop();
}
