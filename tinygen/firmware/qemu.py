"""Run a firmware image (build.build_firmware) in QEMU: samples in, outputs and instruction counts out.

QEMU runs with -icount, so virtual time advances by 2**shift ns per executed instruction and the
firmware's SysTick ticks (at the board's clock) measure instructions executed. The figures are
exactly repeatable, but they are QEMU instructions, not the cycles of a real core (no pipeline,
caches, flash wait states or multi-cycle instructions are modelled).

serve_qemu() runs a serving firmware (build_firmware(app="serve")) with its UART on a TCP port
instead: the host then speaks the serial protocol of templates/app/tinygen_serve.h to it."""
from __future__ import annotations

import itertools
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from tinygen.boards import Board
from tinygen.compiler import Program
from tinygen.errors import TinygenError
from tinygen.firmware.build import icount_shift, qemu_command, resolve_board
from tinygen.inputs import join_inputs, split_outputs

QEMU = "qemu-system-arm"
HEADER_WORDS = 15
MAGIC, TRAILER_MAGIC = 0x57464754, 0x444E4754


def cycles_unit(shift: int) -> str:
    return f"instructions executed under QEMU -icount shift={shift}, counted with SysTick (not real-core cycles)"


def default_timeout(program: Program, samples: int) -> float:
    """Generous: QEMU runs the generic kernels at well over 10 M MACs a second."""
    return 60.0 + samples * (1.0 + program.macs / 2e6)


def _qemu_and_image(elf: str | Path, how_to_build: str) -> tuple[str, Path]:
    """The QEMU executable and the firmware image's absolute path, or one line on what is missing."""
    qemu = shutil.which(QEMU)
    if qemu is None:
        raise TinygenError(f"{QEMU} is not on PATH: install qemu-system-arm")
    elf = Path(elf).resolve()
    if not elf.is_file():
        raise TinygenError(f"{elf}: no such firmware image (build it with {how_to_build})")
    return qemu, elf


def run_qemu(elf: str | Path, board: str | Board, samples: list[list[np.ndarray]], program: Program,
             timeout: float | None = None, progress=None, shift: int | None = None
             ) -> tuple[list[list[np.ndarray]], dict]:
    """Run every sample through the firmware in one QEMU run.

    Returns (outputs: per sample, one array per model output; cycles: {"total": [per sample],
    "layers": [per sample: [per kernel call of program.calls]] (empty lists when built without
    profile), "unit", "icount_shift", "ticks_per_instruction", "stack_bytes_used"}).
    progress(done, total) is called as samples finish."""
    board = resolve_board(board)
    shift = icount_shift(board) if shift is None else shift
    arguments = qemu_command(board, shift)[1:]  # refuses a board without an emulator
    qemu, elf = _qemu_and_image(elf, "build_firmware")
    command = [qemu, *arguments, "-kernel", str(elf)]
    raw = join_inputs(samples, program.graph.inputs)
    timeout = default_timeout(program, len(samples)) if timeout is None else timeout
    with tempfile.TemporaryDirectory(prefix="tinygen-qemu-") as tmp:
        work = Path(tmp)
        (work / "inputs.bin").write_bytes(raw)
        console = _run(command, work, timeout, len(samples), progress)
        outputs = split_outputs((work / "outputs.bin").read_bytes(), program.graph.outputs, len(samples), "the firmware")
        cycles = _parse_cycles((work / "cycles.bin").read_bytes(), program, board, shift, len(samples))
    cycles["console"] = console
    return outputs, cycles


def _run(command: list[str], cwd: Path, timeout: float, count: int, progress) -> list[str]:
    lines: list[str] = []
    done = 0
    process = subprocess.Popen(command, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, errors="replace")

    def reader():
        nonlocal done
        for line in process.stdout:
            lines.append(line.rstrip("\n"))
            if line.startswith("tinygen firmware: sample ") and line.rstrip().endswith(" done"):
                done += 1
                if progress is not None:
                    progress(done, count)

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    start = time.monotonic()
    try:
        code = process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        thread.join(5)
        raise TinygenError(f"QEMU timed out after {timeout:.0f} s ({done} of {count} samples done)") from None
    thread.join(5)
    if code != 0:
        said = [line for line in lines if line.startswith("tinygen firmware: fault") or "error" in line.lower()
                or "qemu" in line.lower()]
        last = (said or lines or [f"no output after {time.monotonic() - start:.1f} s"])[-1]
        what = {2: "stopped on an error", 3: "crashed"}.get(code, f"exited with status {code}")
        raise TinygenError(f"the firmware {what} in QEMU after {done} of {count} samples: {last.strip()}")
    if done != count:
        raise TinygenError(f"the firmware ran {done} of {count} samples: {(lines or ['no output'])[-1]}")
    return lines


def _parse_cycles(raw: bytes, program: Program, board: Board, shift: int, count: int) -> dict:
    """cycles.bin (format in templates/firmware/app.c.j2) to instruction counts."""
    words = [int(w) for w in np.frombuffer(raw, dtype="<u8")]
    if len(words) < HEADER_WORDS or words[0] != MAGIC or words[1] != 2:
        raise TinygenError("the firmware wrote no valid cycles.bin")
    steps, samples, handler = words[2:5]
    empty, marks, (n1, *spin1), (n2, *spin2) = words[5:7], words[7:9], words[9:12], words[12:15]
    if samples != count or steps not in (0, len(program.calls)):
        raise TinygenError(f"cycles.bin is for {samples} samples and {steps} steps, expected {count} and "
                           f"{len(program.calls)}: was the firmware built for another model?")
    record = 2 + (steps + 1 if steps else 0)
    body = words[HEADER_WORDS:HEADER_WORDS + record * count]
    trailer = words[HEADER_WORDS + record * count:]
    if len(body) != record * count or len(trailer) != 2 or trailer[0] != TRAILER_MAGIC:
        raise TinygenError("cycles.bin is truncated")
    # Ticks per instruction: exact from the board's clock; the calibration loops check it.
    expected = (1 << shift) * (board.clock_hz or 0) / 1e9
    measured = ((spin2[1] - spin2[0]) - (spin1[1] - spin1[0])) / (2 * (n2 - n1))
    per_instruction = expected if expected and abs(measured / expected - 1) < 1e-3 else measured

    def span(start: int, end: int) -> int:
        """Instructions between two stamps, less the SysTick handler runs (wraps) in between. The
        tick difference is off by less than one tick: with at least 2 ticks per instruction
        (icount_shift), rounding gives the exact count."""
        return round((end - start) / per_instruction) - handler * ((end >> 24) - (start >> 24))

    empty_span, mark_call = span(*empty), span(*marks) if steps else 0
    totals, layers = [], []
    for s in range(count):
        row = body[s * record:(s + 1) * record]
        # The call of tinygen_invoke(), less the empty timed span and the steps + 1 profiling marks.
        totals.append(span(row[0], row[1]) - empty_span - (steps + 1) * mark_call)
        stamps = row[2:]
        layers.append([span(a, b) - mark_call for a, b in itertools.pairwise(stamps)])
    calibration = {"loop_instructions": 2 * (n2 - n1), "measured": span(*spin2) - span(*spin1)}
    return {"total": totals, "layers": layers,
            "unit": cycles_unit(shift), "icount_shift": shift, "ticks_per_instruction": per_instruction,
            "calibration": calibration, "stack_bytes_used": trailer[1]}


class ServingQemu:
    """QEMU running a firmware built with app="serve", its UART on a local TCP port (`url`, for
    pyserial's serial_for_url). QEMU waits for that connection before it starts the firmware."""

    def __init__(self, process: subprocess.Popen, port: int, lines: list[str]):
        self.process, self.port, self.lines = process, port, lines
        self.url = f"socket://127.0.0.1:{port}"

    def running(self) -> bool:
        return self.process.poll() is None

    def last_words(self) -> str:
        """What QEMU and the firmware said last on the console (semihosting and QEMU's own messages)."""
        said = [line for line in self.lines if line.strip() and "waiting for connection" not in line]
        return said[-1].strip() if said else "no console output"


@contextmanager
def serve_qemu(elf: str | Path, board: str | Board, shift: int | None = None,
               start_timeout: float = 20.0) -> Iterator[ServingQemu]:
    """Start QEMU on a serve firmware with `-serial tcp:127.0.0.1:PORT,server=on,wait=on` and yield
    once it listens; QEMU is stopped on exit."""
    board = resolve_board(board)
    qemu, elf = _qemu_and_image(elf, "build_firmware(app='serve')")
    for attempt in range(3):  # another program may take the free port before QEMU binds it
        port = _free_port()
        command = [qemu, *qemu_command(board, shift)[1:], "-serial", f"tcp:127.0.0.1:{port},server=on,wait=on",
                   "-kernel", str(elf)]
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, text=True, errors="replace")
        lines: list[str] = []
        listening = threading.Event()

        def reader(stream=process.stdout, lines=lines, listening=listening):
            for line in stream:
                lines.append(line.rstrip("\n"))
                if "waiting for connection" in line:
                    listening.set()
            listening.set()  # QEMU ended

        threading.Thread(target=reader, daemon=True).start()
        listening.wait(start_timeout)  # QEMU says when it listens; a client retrying its connection copes otherwise
        if process.poll() is None:
            break
        process.wait()
        said = lines[-1].strip() if lines else f"exit status {process.returncode}"
        if "bind" not in said.lower() or attempt == 2:
            raise TinygenError(f"QEMU did not start the serving firmware: {said}")
    try:
        yield ServingQemu(process, port, lines)
    finally:
        _stop(process)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
