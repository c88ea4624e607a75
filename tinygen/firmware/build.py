"""Build a bare-metal firmware image for a Cortex-M board: the generated model, tinygen's own
start-up code, a linker script rendered from the board's memory map and an application
(templates/firmware/). Two applications: "semihosting" (app.c.j2) reads samples and writes outputs
and cycle counts through semihosting files; "serve" (serve_app.c.j2) answers the serial protocol of
templates/app/tinygen_serve.h on the board's UART, as the PlatformIO app does on real boards."""
from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from fractions import Fraction
from pathlib import Path

from tinygen import codegen
from tinygen.backends import build_needs
from tinygen.boards import Board, Region, get_board
from tinygen.compiler import Program
from tinygen.errors import TinygenError
from tinygen.toolchain import ARM_GCC, ARM_INSTALL_HINT, arm_gcc, cortex_m_flags, firmware_link_flags, include_flags

DEFAULT_STACK_BYTES = 8192  # on boards without an emulator; an emulated board's RAM reserve is the stack
FIRMWARE_FILES = ("semihost.h", "startup.c")  # copied as they are; the rest are Jinja templates
APPS = ("semihosting", "serve")
# The UART that QEMU connects its first -serial to, per emulated machine: our driver and its base address.
SERIAL_UARTS = {
    "mps2-an385": ("uart_cmsdk.h", 0x40004000),
    "mps2-an386": ("uart_cmsdk.h", 0x40004000),
    "mps2-an500": ("uart_cmsdk.h", 0x40004000),
    "mps2-an505": ("uart_cmsdk.h", 0x50200000),  # UART0 through its Secure alias: the firmware runs Secure
    "mps3-an547": ("uart_cmsdk.h", 0x59303000),  # likewise
    "microbit": ("uart_nrf51.h", 0x40002000),
    "netduino2": ("uart_stm32.h", 0x40011000),  # USART1
    "netduinoplus2": ("uart_stm32.h", 0x40011000),  # USART1
}
SERVE_QEMU_PORT = 5555  # the TCP port `make run` of a serve firmware listens on


def resolve_board(board: str | Board) -> Board:
    return get_board(board) if isinstance(board, str) else board


def ram_region(board: Board) -> Region:
    """Where .data, .bss (the arena) and the stack go: the board's link RAM."""
    if board.link is None:
        raise TinygenError(f"board {board.name} has no link RAM: firmware is for Cortex-M boards")
    return board.link.ram


def require_emulated(board: Board) -> None:
    """A board QEMU runs, or one line saying which ones it does and where this one runs."""
    if board.emulator:
        return
    emulated = ", ".join(b.name for b in _emulated_boards())
    where = ("the host runs models without an emulator: leave out --board" if board.is_host
             else f"for {board.name}, use `tinygen generate --board {board.name}` and `tinygen flash`")
    raise TinygenError(f"board {board.name} has no emulator; the boards QEMU runs are: {emulated} ({where})")


def qemu_command(board: Board, shift: int | None = None) -> list[str]:
    """The QEMU command line for a board's emulator, without -kernel."""
    require_emulated(board)
    shift = icount_shift(board) if shift is None else shift
    cpu = ["-cpu", board.emulator["cpu"]] if "cpu" in board.emulator else []
    return ["qemu-system-arm", "-M", board.emulator["machine"], *cpu, "-nographic", "-monitor", "none",
            "-semihosting-config", "enable=on,target=native", "-icount", f"shift={shift}"]


def icount_shift(board: Board) -> int:
    """-icount shift: each instruction advances virtual time by 2**shift ns. SysTick runs at the
    board's clock, so with shift=0 one tick spans many instructions (40 at 25 MHz); pick the
    smallest shift that gives at least 2 ticks per instruction, so that tick differences convert
    to exact instruction counts."""
    clock = board.clock_hz or 25_000_000
    shift = 0
    while (1 << shift) * clock < 2 * 10**9 and shift < 10:
        shift += 1
    return shift


def instruction_counter(board: Board, shift: int | None = None) -> dict:
    """SysTick settings for exact instruction counts under -icount: one instruction is `ticks` /
    `instructions` SysTick ticks (a fraction in lowest terms); a reload of `reload` + 1 ticks, a
    multiple of `ticks`, makes one SysTick period exactly `wrap_instructions` instructions."""
    shift = icount_shift(board) if shift is None else shift
    per_instruction = Fraction((1 << shift) * (board.clock_hz or 25_000_000), 10**9)
    ticks, instructions = per_instruction.numerator, per_instruction.denominator
    periods = (1 << 24) // ticks
    # tg_instructions() computes (tick difference + period) * instructions in 32 bits: < 2**25 * 128.
    if per_instruction < 2 or instructions >= 128 or periods == 0:
        raise TinygenError(f"board {board.name}: no exact instruction counter at -icount shift={shift}")
    return {"icount_shift": shift, "counter_ticks": ticks, "counter_instructions": instructions,
            "counter_reload": periods * ticks - 1, "counter_wrap_instructions": periods * instructions}


def serial_uart(board: Board) -> tuple[str, int]:
    """The driver header and base address of the UART QEMU connects to -serial on this board."""
    machine = (board.emulator or {}).get("machine")
    if machine not in SERIAL_UARTS:
        raise TinygenError(f"board {board.name}: tinygen has no UART driver for it, so no serve firmware "
                           f"(emulated boards with one: {', '.join(sorted(SERIAL_UARTS))})")
    return SERIAL_UARTS[machine]


def stack_bytes_for(board: Board) -> int:
    """The firmware's stack: an emulated board's link reserve is exactly that stack (its board file
    says so); other boards get DEFAULT_STACK_BYTES."""
    return board.link.reserve_ram_bytes if board.emulator and board.link else DEFAULT_STACK_BYTES


def _emulated_boards():
    from tinygen.boards import all_boards
    return [b for b in all_boards() if b.emulator]


def _sources(out_dir: Path, written: list[Path], app: str = "semihosting") -> list[str]:
    """Our C files and the model's, as codegen.render wrote them (not stale files in out_dir)."""
    model = sorted({str(Path(p).resolve().relative_to(out_dir.resolve())) for p in written
                    if Path(p).suffix == ".c"}, key=lambda name: (name != "model.c", name))
    return ["startup.c", "app.c", *(["tinygen_serve.c"] if app == "serve" else []), *model]


def write_firmware(program: Program, board: str | Board, out_dir: str | Path, profile: bool = True,
                   opt: str = "-O2", stack_bytes: int | None = None,
                   app: str = "semihosting", sequence: int = 0) -> tuple[Board, list[str], list[str]]:
    """Render the model (its kernels were chosen by compile_model) and the firmware sources, linker
    script and Makefile into out_dir (created if needed; files there are overwritten).
    app: "semihosting" (samples from inputs.bin) or "serve" (the serial protocol on the board's
    UART; profiled, it answers 'P' requests with each step's cycles). sequence > 0: the semihosting
    firmware calls <prefix>_reset() before every sequence-th sample (0: the samples are one sequence).
    stack_bytes: stack_bytes_for(board) when None.
    Returns the board, the compiler flags and the sources, relative to out_dir."""
    if app not in APPS:
        raise TinygenError(f"app must be one of {', '.join(APPS)}, not {app!r}")
    board = resolve_board(board)
    if not board.is_cortex_m:
        raise TinygenError(f"board {board.name} is not a Cortex-M board (core {board.core}); firmware needs one")
    if board.flash_origin is None or board.flash_bytes is None:
        raise TinygenError(f"board {board.name} has no flash region")
    if not re.fullmatch(r"-O[0123sgz]|-Ofast", opt):
        raise TinygenError(f"opt must be an optimisation flag such as -O2 or -Os, not {opt!r}")
    ram = ram_region(board)
    stack_bytes = stack_bytes_for(board) if stack_bytes is None else stack_bytes
    arena = program.plan.arena_bytes + program.state_bytes
    if arena + stack_bytes > ram.bytes:
        raise TinygenError(_ram_message(arena, ram, stack_bytes) + _flash_too(program, board))
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = codegen.render(program, out)
    templates = codegen.templates_dir() / "firmware"
    for name in FIRMWARE_FILES:
        shutil.copyfile(templates / name, out / name)
    serve = {}
    if app == "serve":
        uart_header, uart_base = serial_uart(board)
        shutil.copyfile(templates / uart_header, out / uart_header)
        codegen.write_serve_files(program, out)  # the protocol real boards speak too
        serve = {"uart_header": uart_header, "uart_base": uart_base, "uart_clock_hz": board.clock_hz or 25_000_000,
                 **instruction_counter(board)}
    qemu = shlex.join(qemu_command(board)) if board.emulator else "echo 'no emulator for this board'; false"
    if serve:
        qemu += f" -serial tcp:127.0.0.1:{SERVE_QEMU_PORT},server=on,wait=on"
    needs = build_needs(program)  # a kernel library, when the program calls one
    cflags = cortex_m_flags(board, opt) + (["-DTINYGEN_PROFILE"] if profile else []) + include_flags(needs)
    ldflags = firmware_link_flags()
    sources = _sources(out, written, app) + needs.sources
    env = codegen._environment()
    context = {
        "model_name": program.graph.name, "board_name": board.name,
        "steps": len(program.calls) if profile and not serve else 0, "sequence": int(sequence),
        "flash_name": "flash", "flash_origin": board.flash_origin, "flash_bytes": board.flash_bytes,
        "ram_name": ram.name, "ram_origin": ram.origin, "ram_bytes": ram.bytes, "stack_bytes": stack_bytes,
        "cflags": shlex.join(cflags), "ldflags": shlex.join(ldflags), "sources": " ".join(sources),
        "qemu": qemu, "serve": bool(serve), "serve_port": SERVE_QEMU_PORT, **serve,
        **codegen.names(program.options.prefix),
    }
    app_template = "serve_app.c.j2" if serve else "app.c.j2"
    for template, name in [(app_template, "app.c"), ("link.ld.j2", "link.ld"), ("Makefile.j2", "Makefile")]:
        (out / name).write_text(env.get_template(f"firmware/{template}").render(**context))
    return board, cflags, sources


def build_firmware(program: Program, board: str | Board, out_dir: str | Path, profile: bool = True,
                   opt: str = "-O2", stack_bytes: int | None = None, app: str = "semihosting",
                   sequence: int = 0) -> Path:
    """write_firmware(), then compile with arm-none-eabi-gcc; returns the path of fw.elf.

    profile=True also times every step (TINYGEN_PROFILE): run_qemu() then reports cycles per layer.
    opt is the optimisation flag (-O2 for speed, -Os where flash is tight). app="serve" builds the
    serial-protocol firmware instead (run it with qemu.serve_qemu())."""
    gcc = arm_gcc()
    board = resolve_board(board)
    stack_bytes = stack_bytes_for(board) if stack_bytes is None else stack_bytes
    board, cflags, sources = write_firmware(program, board, out_dir, profile, opt, stack_bytes, app, sequence)
    out = Path(out_dir)
    elf = out / "fw.elf"
    elf.unlink(missing_ok=True)
    result = subprocess.run([gcc, *cflags, *sources, *firmware_link_flags(), "-o", elf.name], cwd=out, check=False,
                            capture_output=True, text=True)
    if result.returncode != 0:
        raise TinygenError(_link_error(result.stderr, board, ram_region(board),
                                       program.plan.arena_bytes + program.state_bytes, stack_bytes))
    return elf


def _ram_message(arena: int, ram, stack_bytes: int, short: int | None = None) -> str:
    detail = (f"{short:,} bytes short with the stack ({stack_bytes:,}) and other data" if short is not None
              else f"the stack needs {stack_bytes:,} more")
    return f"arena {arena:,} bytes does not fit region {ram.name} ({ram.bytes:,} bytes): {detail}"


def _flash_too(program: Program, board: Board) -> str:
    """What to add to a refusal for RAM when the flash is over as well (measured as simulate does)."""
    from tinygen.simulate import fit_of

    verdict = fit_of(program, board)
    if verdict["flash_fits"]:
        return ""
    return (f"; and flash too: {verdict['flash_used_bytes']:,} bytes of {verdict['flash_limit_bytes']:,} "
            f"(the framework's included), {-verdict['flash_margin_bytes']:,} over")


def _link_error(stderr: str, board: Board, ram, arena: int, stack_bytes: int) -> str:
    lines = stderr.strip().splitlines()
    for line in lines:
        m = re.search(r"region `(\w+)' overflowed by (\d+) bytes", line)
        if m and m.group(1) == "RAM":
            return _ram_message(arena, ram, stack_bytes, int(m.group(2)))
        if m and m.group(1) == "FLASH":
            return (f"code and constant data do not fit the flash of {board.name} ({board.flash_bytes:,} bytes): "
                    f"{int(m.group(2)):,} bytes over")
    text = "\n".join(lines)
    if re.search(r"cannot find -l(c|m|gcc)|cannot read spec file|stdint\.h: No such file|cannot find crt", text):
        return f"{ARM_GCC} has no C library for the link: {ARM_INSTALL_HINT}"
    first = next((line for line in lines if "error" in line), lines[-1] if lines else "unknown error")
    return f"the firmware did not build: {first.strip()}"
