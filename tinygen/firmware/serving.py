"""A model's answers from a board that serves it over tinygen's serial protocol
(templates/app/tinygen_serve.h): an emulated board running the serving firmware in QEMU (its UART
on a TCP socket), or a real board running the PlatformIO project, flashed first unless asked not to.
`tinygen demo`, and `validate` / `profile` on real boards, go through here."""
from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tinygen.boards import Board
from tinygen.compiler import Program
from tinygen.errors import TinygenError


@dataclass(frozen=True)
class SerialLink:
    """How to reach a real board: its port (None: the only one there is, or pyserial URL such as
    socket://HOST:PORT), whether to build and flash the project first, and where it is written."""
    port: str | None = None
    flash: bool = True
    project: Path | None = None
    timeout: float = 60.0  # seconds one answer may take


def emulated_answers(program: Program, board: Board, inputs: list[bytes], timeout: float, progress=None,
                     profile: bool = False) -> list:
    """The answers of the serving firmware in QEMU, one per request (every input's bytes)."""
    from tinygen.firmware.build import build_firmware
    from tinygen.firmware.qemu import serve_qemu
    from tinygen.firmware.serial_client import BoardClient, open_url

    with tempfile.TemporaryDirectory(prefix="tinygen-serve-") as tmp:
        elf = build_firmware(program, board, Path(tmp), app="serve", profile=profile)
        with serve_qemu(elf, board) as qemu:
            client = BoardClient(open_url(qemu.url), f"{board.name} in QEMU", timeout)
            try:
                with client:
                    client.wait_ready(timeout=min(timeout, 60.0), expect=_sizes(program))
                    return _serve_all(client, inputs, progress, profile)
            except TinygenError as e:
                if not qemu.running() or "fault" in qemu.last_words():
                    raise TinygenError(f"{e}; QEMU: {qemu.last_words()}") from None
                raise


def board_answers(program: Program, board: Board, inputs: list[bytes], sample: list[np.ndarray], link: SerialLink,
                  progress=None, say=lambda text: None, profile: bool = False) -> list:
    """The answers of a real board: the PlatformIO project (starting with `sample`) written to
    link.project, built and flashed unless link.flash is False, then served on link.port."""
    from tinygen.firmware import platformio
    from tinygen.firmware.serial_client import BAUD, BoardClient, open_port

    project = Path(link.project) if link.project else Path(f"tinygen_{program.graph.name}_{board.name}")
    if link.flash:
        platformio.write_platformio_project(program, board, project, sample, profile=profile)
        say(f"building and flashing {project} with PlatformIO (the first build downloads the toolchain)")
        platformio.flash(project, link.port)
    port = link.port or only_port()
    transfer = (len(inputs[0]) + 1) * 10 / BAUD if inputs else 0.0  # 10 bits a byte on the wire
    # A board flashed just now prints its banner soon; one already running printed it long ago.
    banner_wait = link.timeout if link.flash else min(link.timeout, 3.0)
    with BoardClient(open_port(port), f"{board.name} on {port}", link.timeout + transfer) as client:
        client.wait_ready(timeout=banner_wait, expect=_sizes(program))
        return _serve_all(client, inputs, progress, profile)


def board_profile(program: Program, board: Board, sample: list[np.ndarray], link: SerialLink) -> dict:
    """One profiled inference on a real board, as counts shaped like run_qemu()'s: "total",
    "layers" (the cycles of each of program.calls) and "unit"."""
    from tinygen.inputs import join_inputs

    [answer] = board_answers(program, board, [join_inputs([sample], program.graph.inputs)], sample, link, profile=True)
    if len(answer.steps) != len(program.calls):
        raise TinygenError(f"{board.name} profiled {len(answer.steps)} steps, this model has {len(program.calls)}: "
                           "flash its firmware built for profiling (without --no-flash)")
    return {"total": [answer.cycles], "layers": [answer.steps],
            "unit": "cycles of the board's core from its DWT cycle counter (micros() x clock on cores without one)"}


def only_port() -> str:
    try:
        from serial.tools.list_ports import comports
    except ImportError:
        raise TinygenError("pyserial is needed to talk to boards: pip install pyserial") from None
    ports = [p.device for p in comports() if p.device]
    if len(ports) != 1:
        found = f"serial ports here: {', '.join(ports)}" if ports else "no serial port found"
        raise TinygenError(f"say which serial port the board is on with --port ({found})")
    return ports[0]


def _sizes(program: Program) -> tuple[int, int]:
    return (sum(t.nbytes for t in program.graph.inputs), sum(t.nbytes for t in program.graph.outputs))


def _serve_all(client, inputs: list[bytes], progress, profile: bool) -> list:
    answers = []
    for x in inputs:
        answers.append(client.infer(x, profile=profile))
        if progress is not None:
            progress(len(answers), len(inputs))
    return answers
