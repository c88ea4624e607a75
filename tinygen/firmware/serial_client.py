"""The host side of tinygen's serial protocol (templates/app/tinygen_serve.h), the same code for a
real board on a serial port and for an emulated board whose UART QEMU puts on a TCP socket:

    board -> host, once:  "TINYGEN READY <input bytes> <output bytes>\\n"
    host  -> board:       'I' then every input's raw bytes, in order
    board -> host:        "O <cycles> <outputs as hex>\\n"
    host  -> board:       'P' then every input's raw bytes: the same, profiled
    board -> host:        "L <steps> <cycles of each step>\\n", then the "O" line

Lines starting with '#' are comments for people; the client keeps them (`comments`) and skips
them. Only the link differs between boards: open_port() for a serial port or any pyserial URL
(e.g. socket://HOST:PORT for a board behind a network bridge), open_url() for QEMU's socket,
retried while QEMU starts.
"""
from __future__ import annotations

import socket
import time
from dataclasses import dataclass

from tinygen.errors import TinygenError

BAUD = 115200


def _serial():
    try:
        import serial
    except ImportError:
        raise TinygenError("pyserial is needed to talk to boards: pip install pyserial") from None
    return serial


def open_port(port: str, baud: int = BAUD):
    """A real board's serial port (e.g. /dev/ttyACM0, COM3) or a pyserial URL (socket://HOST:PORT)."""
    serial = _serial()
    try:
        return serial.serial_for_url(port, baud, timeout=0.5)
    except (serial.SerialException, OSError, ValueError) as e:
        raise TinygenError(f"cannot open serial port {port}: {e}") from None


class SocketLink:
    """A TCP connection with the part of pyserial's interface the client uses. QEMU's UART starts
    the firmware the moment a client connects, so nothing that arrives may be thrown away, which
    pyserial's socket:// does when it opens (it empties the input, and with it the banner)."""

    def __init__(self, sock: socket.socket, read_timeout: float = 0.5):
        self._socket = sock
        self._socket.settimeout(read_timeout)

    @property
    def in_waiting(self) -> int:
        return 0  # not known without reading; read() takes all that has arrived anyway

    def read(self, n: int = 1) -> bytes:
        """What has arrived (up to max(n, 4096) bytes), or nothing within the read timeout."""
        try:
            data = self._socket.recv(max(n, 4096))
        except TimeoutError:
            return b""
        if not data:
            raise TinygenError("the emulated board closed its UART (QEMU ended)")
        return data

    def write(self, data: bytes) -> None:
        self._socket.sendall(data)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        self._socket.close()


def open_url(url: str, attempts: int = 20) -> SocketLink:
    """QEMU's UART at socket://HOST:PORT, retried while QEMU starts listening."""
    host, _, port = url.removeprefix("socket://").rpartition(":")
    for attempt in range(attempts):
        try:
            return SocketLink(socket.create_connection((host, int(port)), timeout=5))
        except OSError as e:
            if attempt == attempts - 1:
                raise TinygenError(f"cannot connect to {url}: {e}") from None
            time.sleep(0.1)


@dataclass
class Answer:
    cycles: int  # as the board counts them (a uint32: wraps modulo 2**32)
    outputs: bytes  # every output's raw bytes, in order
    steps: list[int] | None = None  # with profile: each step's cycles (empty: firmware built without profiling)


class BoardClient:
    """Speaks the protocol over `link`: any object with pyserial's read/write/flush/close.
    `name` names the board in messages; `timeout` is how long one answer may take, in seconds."""

    def __init__(self, link, name: str, timeout: float = 60.0):
        self.link, self.name, self.timeout = link, name, timeout
        self.input_bytes: int | None = None
        self.output_bytes: int | None = None
        self.comments: list[str] = []
        self._pending = b""

    def close(self) -> None:
        self.link.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _line(self, deadline: float) -> str | None:
        """The next complete line (without its line ending), or None at the deadline."""
        while b"\n" not in self._pending:
            if time.monotonic() >= deadline:
                return None
            self._pending += self.link.read(max(1, self.link.in_waiting))
        line, self._pending = self._pending.split(b"\n", 1)
        return line.decode("ascii", "replace").rstrip("\r")

    def _protocol_line(self, deadline: float) -> str | None:
        """The next line that is not a comment or blank."""
        while True:
            line = self._line(deadline)
            if line is None:
                return None
            if line.startswith("#"):
                self.comments.append(line)
            elif line.strip():
                return line

    def wait_ready(self, timeout: float, expect: tuple[int, int] | None = None) -> tuple[int, int]:
        """Read up to the READY banner; returns (input bytes, output bytes). With `expect` (the
        sizes the host's model has), a board that printed its banner before we listened is
        probed with one request of zeros instead, and a banner for another model is refused."""
        deadline = time.monotonic() + timeout
        while True:
            line = self._protocol_line(deadline)
            if line is None:
                break
            words = line.split()
            if words[:2] == ["TINYGEN", "READY"] and len(words) == 4 and all(w.isdigit() for w in words[2:]):
                self.input_bytes, self.output_bytes = int(words[2]), int(words[3])
                self._check_sizes(expect)
                return self.input_bytes, self.output_bytes
        if expect is None:
            raise TinygenError(self._silent(f"no 'TINYGEN READY' banner within {timeout:g} s"))
        # The banner may have gone out before the port was opened: a request tells.
        self.input_bytes, self.output_bytes = expect
        try:
            self.infer(bytes(expect[0]), timeout=timeout)
        except TinygenError:
            raise TinygenError(self._silent(f"no answer within {timeout:g} s, neither a banner nor a reply "
                                            "to a request")) from None
        return expect

    def _check_sizes(self, expect: tuple[int, int] | None) -> None:
        if expect is not None and (self.input_bytes, self.output_bytes) != tuple(expect):
            raise TinygenError(f"{self.name} runs another model: it takes {self.input_bytes} input bytes and "
                               f"gives {self.output_bytes}, this model {expect[0]} and {expect[1]} "
                               "(flash this model's firmware)")

    def _silent(self, what: str) -> str:
        said = f"; it said: {self.comments[-1]}" if self.comments else ""
        return (f"{self.name}: {what} (is tinygen's firmware for this model running there, "
                f"at {BAUD} baud?){said}")

    def infer(self, data: bytes, timeout: float | None = None, profile: bool = False) -> Answer:
        """Send one request (every input's bytes, in order) and wait for its answer; `profile`:
        also each step's cycles."""
        if self.input_bytes is None:
            raise TinygenError("wait_ready() first: the board's banner tells the sizes")
        if len(data) != self.input_bytes:
            raise TinygenError(f"a request for {self.name} needs {self.input_bytes} input bytes, not {len(data)}")
        self.link.write((b"P" if profile else b"I") + bytes(data))
        self.link.flush()
        timeout = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        steps = self._steps(deadline, timeout) if profile else None
        line = self._protocol_line(deadline)
        if line is None:
            raise TinygenError(self._silent(f"no answer within {timeout:g} s"))
        words = line.split()
        if line.startswith("TINYGEN READY"):
            raise TinygenError(f"{self.name} restarted (it printed its banner again instead of answering)")
        if len(words) != 3 or words[0] != "O" or not _is_int(words[1]):
            raise TinygenError(f"{self.name} answered {line[:80]!r}, expected 'O <cycles> <hex outputs>'")
        try:
            outputs = bytes.fromhex(words[2])
        except ValueError:
            raise TinygenError(f"{self.name} answered outputs that are not hex: {words[2][:40]!r}") from None
        if len(outputs) != self.output_bytes:
            raise TinygenError(f"{self.name} answered {len(outputs)} output bytes, expected {self.output_bytes}")
        return Answer(int(words[1]) & 0xFFFFFFFF, outputs, steps)

    def _steps(self, deadline: float, timeout: float) -> list[int]:
        line = self._protocol_line(deadline)
        if line is None:
            raise TinygenError(self._silent(f"no answer within {timeout:g} s"))
        words = line.split()
        if len(words) < 2 or words[0] != "L" or not all(map(_is_int, words[1:])) or int(words[1]) != len(words) - 2:
            raise TinygenError(f"{self.name} answered {line[:80]!r}, expected 'L <steps> <cycles of each>'")
        return [int(w) & 0xFFFFFFFF for w in words[2:]]


def _is_int(word: str) -> bool:
    return word.lstrip("-").isdigit()
