"""Target boards: what each one offers a model (SRAM regions, flash, core, clock, and what the
firmware's link gives it), read from boards/*.json.

A board file is data, one JSON object per board; boards/README.md documents the fields. The
chip's SRAM regions say what exists; the `link` says what a program gets: the RAM region its
link script puts .data, .bss (the arena) and the stack in, the flash its code and constants (the
weights) go to, and what the framework and application keep of each (`reserve`). A model fits
when its SRAM plus the reserve fits the link's RAM, and its flash plus the reserve (and the
firmware's sample input) the link's flash: `arena_limit_bytes` is the link's RAM less the reserve.

The board files are installed as the package `tinygen.board_files` (not `tinygen.boards`, which
is this module); a source checkout reads the repo's boards/ in place.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from tinygen.errors import TinygenError
from tinygen.resources import data_dir

CORES = ("cortex-m0", "cortex-m0plus", "cortex-m3", "cortex-m4", "cortex-m7", "cortex-m33", "cortex-m55", "host")
FIELDS = ("name", "description", "mcu", "core", "fpu", "dsp", "clock_hz", "sram_regions", "flash",
          "platformio", "emulator", "link")
PLATFORMIO_FIELDS = ("platform", "board", "framework", "upload_protocol", "manifest")
# What a PlatformIO board manifest says of the board, recorded so a test can hold the link against it.
MANIFEST_FIELDS = ("maximum_ram_size", "maximum_size", "f_cpu", "mcu", "from")


@dataclass(frozen=True)
class Region:
    name: str
    origin: int
    bytes: int
    usable_for_arena: bool

    @property
    def end(self) -> int:
        return self.origin + self.bytes


@dataclass(frozen=True)
class Link:
    """What the firmware's link gives a program: `ram` (a named stretch of SRAM) holds .data, .bss
    and the stack, `flash` the code and constants; the framework and application keep `reserve_*`
    bytes of each, for the reason `reserve_why` gives."""
    ram: Region
    flash_origin: int
    flash_bytes: int
    reserve_ram_bytes: int
    reserve_flash_bytes: int
    reserve_why: str


@dataclass(frozen=True)
class Board:
    name: str
    description: str
    mcu: str | None
    core: str
    fpu: bool | str  # False, True, "sp" (single precision) or "dp" (double precision)
    dsp: bool
    clock_hz: int | None
    sram_regions: tuple[Region, ...]
    flash_origin: int | None
    flash_bytes: int | None  # None: no limit (the host)
    platformio: dict | None
    emulator: dict | None
    link: Link | None  # None: the host (no limit)
    path: Path | None = None

    @property
    def is_host(self) -> bool:
        return self.core == "host"

    @property
    def is_cortex_m(self) -> bool:
        return self.core.startswith("cortex-m")

    @property
    def has_mve(self) -> bool:
        """Helium (the M-profile vector extension): -mcpu enables it, __ARM_FEATURE_MVE says so."""
        return self.core in MVE_CORES

    @property
    def sram_bytes(self) -> int | None:
        """All SRAM regions added up; None for the host (no limit)."""
        return None if self.is_host else sum(r.bytes for r in self.sram_regions)

    @property
    def arena_limit_bytes(self) -> int | None:
        """The most SRAM a model may take: the link's RAM less the reserve; None for the host."""
        return None if self.link is None else self.link.ram.bytes - self.link.reserve_ram_bytes

    @property
    def flash_limit_bytes(self) -> int | None:
        """The most flash a model may take: the link's flash less the reserve; None for the host."""
        return None if self.link is None else self.link.flash_bytes - self.link.reserve_flash_bytes

    def sample_input_bytes(self, inputs) -> int:
        """Flash the firmware spends on a built-in sample of the model's input tensors: a
        PlatformIO project runs one at start-up; the emulated firmware reads its inputs from the
        host instead."""
        return sum(t.nbytes for t in inputs) if self.platformio else 0

    def gcc_flags(self) -> list[str]:
        """Code-generation flags for arm-none-eabi-gcc (empty for the host)."""
        if not self.is_cortex_m:
            return []
        flags = [f"-mcpu={self.core}", "-mthumb"]
        fpu = _FPU_FLAGS.get((self.core, self.fpu if self.fpu is not True else "default"))
        if self.fpu and fpu:
            flags += ["-mfloat-abi=hard", f"-mfpu={fpu}"]
        else:
            flags += ["-mfloat-abi=soft"]
        return flags

    def to_dict(self) -> dict:
        """The board as its JSON file spells it, plus the derived limits."""
        return {
            "name": self.name, "description": self.description, "mcu": self.mcu, "core": self.core,
            "fpu": self.fpu, "dsp": self.dsp, "clock_hz": self.clock_hz,
            "sram_regions": [{"name": r.name, "origin": f"0x{r.origin:08X}", "bytes": r.bytes,
                              "usable_for_arena": r.usable_for_arena} for r in self.sram_regions],
            "flash": None if self.flash_bytes is None else {"origin": f"0x{self.flash_origin:08X}",
                                                            "bytes": self.flash_bytes},
            "platformio": self.platformio, "emulator": self.emulator, "link": _link_dict(self.link),
            "sram_bytes": self.sram_bytes, "arena_limit_bytes": self.arena_limit_bytes,
            "flash_limit_bytes": self.flash_limit_bytes,
        }


def _link_dict(link: Link | None) -> dict | None:
    if link is None:
        return None
    return {"ram": {"region": link.ram.name, "origin": f"0x{link.ram.origin:08X}", "bytes": link.ram.bytes},
            "flash": {"origin": f"0x{link.flash_origin:08X}", "bytes": link.flash_bytes},
            "reserve": {"ram_bytes": link.reserve_ram_bytes, "flash_bytes": link.reserve_flash_bytes,
                        "why": link.reserve_why}}


MVE_CORES = ("cortex-m55", "cortex-m85")

_FPU_FLAGS = {
    ("cortex-m4", "sp"): "fpv4-sp-d16", ("cortex-m4", "default"): "fpv4-sp-d16",
    ("cortex-m7", "sp"): "fpv5-sp-d16", ("cortex-m7", "dp"): "fpv5-d16", ("cortex-m7", "default"): "fpv5-d16",
    ("cortex-m33", "sp"): "fpv5-sp-d16", ("cortex-m33", "default"): "fpv5-sp-d16",
    # The M55's FPU and Helium (MVE) come with -mcpu; "auto" takes them from there.
    ("cortex-m55", "dp"): "auto", ("cortex-m55", "default"): "auto",
}


def _contiguous_spans(regions) -> list[tuple[int, int]]:
    """Arena-usable regions merged where one ends exactly where the next begins."""
    spans: list[list[int]] = []
    for r in sorted((r for r in regions if r.usable_for_arena), key=lambda r: r.origin):
        if spans and spans[-1][1] == r.origin:
            spans[-1][1] = r.end
        else:
            spans.append([r.origin, r.end])
    return [(a, b) for a, b in spans]


def boards_dir() -> Path:
    return data_dir("boards", "board_files")


def _address(value, where: str) -> int:
    if isinstance(value, bool):
        raise TinygenError(f"{where}: an address must be an integer or a hex string like \"0x20000000\"")
    if isinstance(value, int) and value >= 0:
        return value
    if isinstance(value, str):
        try:
            parsed = int(value, 0)
            if parsed >= 0:
                return parsed
        except ValueError:
            pass
    raise TinygenError(f"{where}: an address must be an integer or a hex string like \"0x20000000\", not {value!r}")


def _positive(value, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise TinygenError(f"{where}: must be a positive integer, not {value!r}")
    return value


def parse_board(data: dict, path: Path | None = None) -> Board:
    """Check one board object against the schema in boards/README.md and build a `Board`."""
    where = str(path) if path else "board"
    if not isinstance(data, dict):
        raise TinygenError(f"{where}: a board file holds one JSON object")
    missing = [f for f in FIELDS if f not in data]
    unknown = [f for f in data if f not in FIELDS]
    if missing or unknown:
        raise TinygenError(f"{where}: " + "; ".join(
            ([f"missing field(s) {', '.join(missing)}"] if missing else [])
            + ([f"unknown field(s) {', '.join(unknown)}"] if unknown else [])))
    name = data["name"]
    if not isinstance(name, str) or not name or not name.replace("_", "").isalnum() or name != name.lower():
        raise TinygenError(f"{where}: name must be lower-case letters, digits and underscores, not {name!r}")
    if path is not None and path.stem != name:
        raise TinygenError(f"{where}: name {name!r} does not match the file name")
    core = data["core"]
    if core not in CORES:
        raise TinygenError(f"{where}: core must be one of {', '.join(CORES)}, not {core!r}")
    if data["fpu"] not in (True, False, "sp", "dp"):
        raise TinygenError(f"{where}: fpu must be true, false, \"sp\" or \"dp\", not {data['fpu']!r}")
    if not isinstance(data["dsp"], bool):
        raise TinygenError(f"{where}: dsp must be true or false")
    host = core == "host"
    clock = data["clock_hz"]
    if not (host and clock is None):
        _positive(clock, f"{where}: clock_hz")
    if not isinstance(data["sram_regions"], list):
        raise TinygenError(f"{where}: sram_regions must be a list")
    regions = []
    for i, r in enumerate(data["sram_regions"]):
        at = f"{where}: sram_regions[{i}]"
        if not isinstance(r, dict) or set(r) != {"name", "origin", "bytes", "usable_for_arena"}:
            raise TinygenError(f"{at} must have exactly name, origin, bytes, usable_for_arena")
        if not isinstance(r["usable_for_arena"], bool):
            raise TinygenError(f"{at}: usable_for_arena must be true or false")
        regions.append(Region(str(r["name"]), _address(r["origin"], f"{at}.origin"),
                              _positive(r["bytes"], f"{at}.bytes"), r["usable_for_arena"]))
    for a in regions:
        for b in regions:
            if a is not b and a.origin < b.end and b.origin < a.end:
                raise TinygenError(f"{where}: SRAM regions {a.name} and {b.name} overlap")
    flash = data["flash"]
    if host:
        if regions or flash is not None:
            raise TinygenError(f"{where}: the host board has no limits: sram_regions [] and flash null")
        flash_origin = flash_bytes = None
    else:
        if not any(r.usable_for_arena for r in regions):
            raise TinygenError(f"{where}: no SRAM region is usable for the arena")
        if not isinstance(flash, dict) or set(flash) != {"origin", "bytes"}:
            raise TinygenError(f"{where}: flash must be {{\"origin\": ..., \"bytes\": ...}}")
        flash_origin = _address(flash["origin"], f"{where}: flash.origin")
        flash_bytes = _positive(flash["bytes"], f"{where}: flash.bytes")
    pio = data["platformio"]
    if pio is not None:
        _check_platformio(pio, where)
    emulator = data["emulator"]
    if emulator is not None and (not isinstance(emulator, dict) or not isinstance(emulator.get("machine"), str)
                                 or not set(emulator) <= {"machine", "cpu"}):
        raise TinygenError(f"{where}: emulator must be null or {{\"machine\": ..., \"cpu\": ... (optional)}}")
    if host != (data["link"] is None):
        raise TinygenError(f"{where}: link must be null for the host and an object for every other board")
    link = None if host else _parse_link(data["link"], regions, flash_origin, flash_bytes, where)
    return Board(name=name, description=str(data["description"]), mcu=data["mcu"], core=core, fpu=data["fpu"],
                 dsp=data["dsp"], clock_hz=clock, sram_regions=tuple(regions), flash_origin=flash_origin,
                 flash_bytes=flash_bytes, platformio=pio, emulator=emulator, link=link, path=path)


def _check_platformio(pio, where: str) -> None:
    strings = [f for f in PLATFORMIO_FIELDS if f != "manifest"]
    if (not isinstance(pio, dict) or set(pio) != set(PLATFORMIO_FIELDS)
            or not all(isinstance(pio[f], str) and pio[f] for f in strings)):
        raise TinygenError(f"{where}: platformio must be null or have the strings {', '.join(strings)} and "
                           "a manifest")
    manifest = pio["manifest"]
    if not isinstance(manifest, dict) or set(manifest) != set(MANIFEST_FIELDS):
        raise TinygenError(f"{where}: platformio.manifest must have exactly {', '.join(MANIFEST_FIELDS)}")
    for f in ("maximum_ram_size", "maximum_size", "f_cpu"):
        _positive(manifest[f], f"{where}: platformio.manifest.{f}")


def _parse_link(link, regions: list[Region], flash_origin: int, flash_bytes: int, where: str) -> Link:
    at = f"{where}: link"
    if not isinstance(link, dict) or set(link) != {"ram", "flash", "reserve"}:
        raise TinygenError(f"{at} must have exactly ram, flash and reserve")
    ram, flash, reserve = link["ram"], link["flash"], link["reserve"]
    if not isinstance(ram, dict) or set(ram) != {"region", "origin", "bytes"}:
        raise TinygenError(f"{at}.ram must have exactly region, origin and bytes")
    ram_region = Region(str(ram["region"]), _address(ram["origin"], f"{at}.ram.origin"),
                        _positive(ram["bytes"], f"{at}.ram.bytes"), True)
    if not any(start <= ram_region.origin and ram_region.end <= end for start, end in _contiguous_spans(regions)):
        raise TinygenError(f"{at}.ram ({ram_region.bytes:,} bytes at 0x{ram_region.origin:08X}) is not inside "
                           "arena-usable SRAM regions that follow each other")
    if not isinstance(flash, dict) or set(flash) != {"origin", "bytes"}:
        raise TinygenError(f"{at}.flash must have exactly origin and bytes")
    link_flash_origin = _address(flash["origin"], f"{at}.flash.origin")
    link_flash_bytes = _positive(flash["bytes"], f"{at}.flash.bytes")
    if link_flash_origin < flash_origin or link_flash_origin + link_flash_bytes > flash_origin + flash_bytes:
        raise TinygenError(f"{at}.flash is not inside the board's flash")
    if not isinstance(reserve, dict) or set(reserve) != {"ram_bytes", "flash_bytes", "why"}:
        raise TinygenError(f"{at}.reserve must have exactly ram_bytes, flash_bytes and why")
    for f, limit in (("ram_bytes", ram_region.bytes), ("flash_bytes", link_flash_bytes)):
        value = reserve[f]
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < limit:
            raise TinygenError(f"{at}.reserve.{f} must be a whole number of bytes below the link's {limit:,}")
    if not isinstance(reserve["why"], str) or not reserve["why"]:
        raise TinygenError(f"{at}.reserve.why must say where the reserve comes from")
    return Link(ram_region, link_flash_origin, link_flash_bytes, reserve["ram_bytes"], reserve["flash_bytes"],
                reserve["why"])


def load_board_file(path: Path) -> Board:
    try:
        data = json.loads(Path(path).read_text())
    except OSError as e:
        raise TinygenError(f"{path}: cannot read ({e.strerror})") from None
    except json.JSONDecodeError as e:
        raise TinygenError(f"{path}: not valid JSON ({e.msg} at line {e.lineno})") from None
    return parse_board(data, Path(path))


@cache
def _load_all(directory: str) -> dict[str, Board]:
    boards = {}
    for path in sorted(Path(directory).glob("*.json")):
        board = load_board_file(path)
        boards[board.name] = board
    return boards


def all_boards() -> list[Board]:
    """Every board, sorted by name."""
    return list(_load_all(str(boards_dir())).values())


def get_board(name: str) -> Board:
    boards = _load_all(str(boards_dir()))
    if name not in boards:
        raise TinygenError(f"unknown board {name!r}; known boards: {', '.join(boards)}")
    return boards[name]
