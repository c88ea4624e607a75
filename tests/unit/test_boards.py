"""Board files: every one loads against the schema, the derived limits are right, the CLI lists them,
and an installed wheel finds them (the data package is tinygen.board_files, not tinygen.boards)."""
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tinygen.boards import Region, _contiguous_spans, all_boards, boards_dir, get_board, parse_board
from tinygen.errors import TinygenError
from helpers import REPO, run_cli

EXPECTED = {"disco_f746ng", "nucleo_f746zg", "nucleo_h743zi", "nucleo_f411re", "nucleo_l476rg", "nano33ble",
            "nucleo_g071rb", "nucleo_l552ze_q", "nucleo_u575zi_q",
            "qemu_mps2_an385", "qemu_mps2_an386", "qemu_mps2_an500", "qemu_mps2_an505", "qemu_mps3_an547",
            "qemu_microbit", "qemu_netduino2_m0", "qemu_netduinoplus2", "host"}
KIB = 1024


def test_every_board_file_loads():
    files = sorted(p.stem for p in (REPO / "boards").glob("*.json"))
    assert set(files) == EXPECTED
    assert [b.name for b in all_boards()] == files
    assert boards_dir().resolve() == (REPO / "boards").resolve()


def test_board_files_share_one_schema():
    keys = None
    for path in (REPO / "boards").glob("*.json"):
        data = json.loads(path.read_text())
        keys = keys or set(data)
        assert set(data) == keys, path.name
        if data["core"] != "host":
            assert (data["platformio"] is None) != (data["emulator"] is None), \
                f"{path.name}: a real board has a PlatformIO entry, an emulated one an emulator"


@pytest.mark.parametrize("name, sram, link_ram, flash, clock", [
    ("disco_f746ng", 320 * KIB, 320 * KIB, 1024 * KIB, 216_000_000),  # DTCM + SRAM1 + SRAM2 are adjacent
    ("nucleo_f746zg", 320 * KIB, 320 * KIB, 1024 * KIB, 216_000_000),
    ("nucleo_h743zi", 996 * KIB, 512 * KIB, 2048 * KIB, 480_000_000),  # the link script's RAM_D1: AXI SRAM
    ("nucleo_f411re", 128 * KIB, 128 * KIB, 512 * KIB, 100_000_000),
    ("nucleo_l476rg", 128 * KIB, 96 * KIB, 1024 * KIB, 80_000_000),  # SRAM2's alias follows SRAM1, unused
    ("nano33ble", 256 * KIB, 256 * KIB, 960 * KIB, 64_000_000),  # 64 KB of flash is the bootloader's
    ("nucleo_g071rb", 36 * KIB, 36 * KIB, 128 * KIB, 64_000_000),
    ("nucleo_l552ze_q", 256 * KIB, 192 * KIB, 512 * KIB, 80_000_000),  # the link script's RAM: SRAM1
    ("nucleo_u575zi_q", 784 * KIB, 768 * KIB, 2048 * KIB, 160_000_000),  # SRAM1-3 back to back; not SRAM4
    ("qemu_mps2_an386", None, 4096 * KIB, 4096 * KIB, 25_000_000),
    ("qemu_mps2_an500", None, 4096 * KIB, 4096 * KIB, 25_000_000),
    ("qemu_netduinoplus2", 192 * KIB, 128 * KIB, 1024 * KIB, 168_000_000),  # CCM is not usable for the arena
    ("qemu_mps2_an385", None, 4096 * KIB, 4096 * KIB, 25_000_000),
    ("qemu_mps2_an505", None, 4096 * KIB, 4096 * KIB, 20_000_000),  # SSRAM2 and SSRAM3, back to back
    ("qemu_mps3_an547", None, 4096 * KIB, 512 * KIB, 32_000_000),  # code in the ITCM, data in ISRAM0+1
    ("qemu_microbit", 16 * KIB, 16 * KIB, 256 * KIB, 16_000_000),
    ("qemu_netduino2_m0", 128 * KIB, 128 * KIB, 1024 * KIB, 120_000_000),
])
def test_limits(name, sram, link_ram, flash, clock):
    board = get_board(name)
    if sram is not None:
        assert board.sram_bytes == sram
    assert board.link.ram.bytes == link_ram
    assert board.arena_limit_bytes == link_ram - board.link.reserve_ram_bytes
    assert board.flash_limit_bytes == board.link.flash_bytes - board.link.reserve_flash_bytes
    assert board.flash_bytes == flash
    assert board.clock_hz == clock
    assert board.is_cortex_m and board.gcc_flags()[:2] == [f"-mcpu={board.core}", "-mthumb"]


PLATFORMIO_BOARDS = [b.name for b in all_boards() if b.platformio]


@pytest.mark.parametrize("name", PLATFORMIO_BOARDS)
def test_link_limits_are_the_platformio_manifests(name):
    """What the framework's link gives a program is PlatformIO's maximum_ram_size and maximum_size
    (STM32duino's link scripts take their RAM and flash lengths from them), as recorded."""
    board = get_board(name)
    manifest = board.platformio["manifest"]
    assert board.link.ram.bytes == manifest["maximum_ram_size"]
    assert board.link.flash_bytes == manifest["maximum_size"]
    assert board.link.flash_origin == board.flash_origin
    assert board.mcu.lower() == manifest["mcu"]
    assert board.link.reserve_ram_bytes > 0 and board.link.reserve_flash_bytes > 0


MANIFESTS = [Path(d) for d in os.environ.get("TINYGEN_PLATFORMIO_BOARDS", "").split(os.pathsep) if d]


@pytest.mark.parametrize("name", PLATFORMIO_BOARDS)
def test_recorded_manifests_match_platformio(name):
    """With TINYGEN_PLATFORMIO_BOARDS (the boards/ folders of PlatformIO's platforms, e.g. a checkout
    of platformio/platform-ststm32), the recorded figures against the manifests themselves."""
    found = [d / f"{name}.json" for d in MANIFESTS if (d / f"{name}.json").exists()]
    if not found:
        pytest.skip("set TINYGEN_PLATFORMIO_BOARDS to PlatformIO platforms' boards/ folders to check against them")
    actual = json.loads(found[0].read_text())
    recorded = get_board(name).platformio["manifest"]
    assert actual["upload"]["maximum_ram_size"] == recorded["maximum_ram_size"]
    assert actual["upload"]["maximum_size"] == recorded["maximum_size"]
    assert int(str(actual["build"]["f_cpu"]).rstrip("L")) == recorded["f_cpu"]
    assert actual["build"]["mcu"] == recorded["mcu"]


def test_host_has_no_limits():
    host = get_board("host")
    assert host.is_host and host.arena_limit_bytes is None and host.flash_bytes is None and host.sram_bytes is None
    assert host.link is None and host.flash_limit_bytes is None
    assert host.gcc_flags() == []


def test_fpu_flags():
    assert "-mfpu=fpv5-sp-d16" in get_board("disco_f746ng").gcc_flags()
    assert "-mfpu=fpv5-d16" in get_board("nucleo_h743zi").gcc_flags()
    assert "-mfpu=fpv4-sp-d16" in get_board("nano33ble").gcc_flags()
    assert "-mfpu=fpv5-sp-d16" in get_board("qemu_mps2_an505").gcc_flags()
    assert get_board("qemu_mps3_an547").gcc_flags() == ["-mcpu=cortex-m55", "-mthumb", "-mfloat-abi=hard", "-mfpu=auto"]
    for name in ("qemu_mps2_an385", "qemu_microbit", "qemu_netduino2_m0"):
        assert get_board(name).gcc_flags()[-1] == "-mfloat-abi=soft", name


def test_every_core_class_has_an_emulated_board():
    """ARMv6-M, ARMv7-M without and with DSP, ARMv8-M Mainline and the M55 each run in QEMU, on
    the core the board file names (qemu_command passes it as -cpu)."""
    from tinygen.firmware.build import qemu_command

    emulated = {b.core for b in all_boards() if b.emulator}
    assert {"cortex-m0", "cortex-m3", "cortex-m4", "cortex-m7", "cortex-m33", "cortex-m55"} <= emulated
    for board in all_boards():
        if board.emulator:
            command = qemu_command(board)
            assert command[command.index("-cpu") + 1] == board.emulator["cpu"] == board.core, board.name


def test_emulated_boards_name_real_qemu_machines():
    qemu = shutil.which("qemu-system-arm")
    if not qemu:
        pytest.skip("qemu-system-arm is not installed")
    machines = subprocess.run([qemu, "-M", "help"], capture_output=True, text=True).stdout
    for board in all_boards():
        if board.emulator:
            assert f"\n{board.emulator['machine']} " in machines, board.name


def test_contiguous_regions_merge_only_when_adjacent():
    spans = _contiguous_spans([Region("a", 0x1000, 0x100, True), Region("b", 0x1100, 0x80, True),
                               Region("c", 0x2000, 0x400, True), Region("d", 0x2400, 0x1000, False)])
    assert spans == [(0x1000, 0x1180), (0x2000, 0x2400)]


def test_unknown_board_names_the_known_ones():
    with pytest.raises(TinygenError) as e:
        get_board("esp32")
    assert str(e.value).startswith("unknown board 'esp32'; known boards: disco_f746ng, host, ")


def _board(**changes):
    data = {"name": "tiny", "description": "test", "mcu": "X", "core": "cortex-m4", "fpu": False, "dsp": True,
            "clock_hz": 1, "sram_regions": [{"name": "SRAM", "origin": "0x20000000", "bytes": 1024,
                                              "usable_for_arena": True}],
            "flash": {"origin": 0, "bytes": 4096}, "platformio": None, "emulator": None,
            "link": {"ram": {"region": "SRAM", "origin": "0x20000000", "bytes": 1024},
                     "flash": {"origin": 0, "bytes": 4096},
                     "reserve": {"ram_bytes": 64, "flash_bytes": 512, "why": "a test"}}}
    data.update(changes)
    return data


@pytest.mark.parametrize("changes, words", [
    ({"core": "cortex-a53"}, "core must be one of"),
    ({"fpu": "yes"}, "fpu must be"),
    ({"flash": None}, "flash must be"),
    ({"sram_regions": []}, "no SRAM region is usable"),
    ({"sram_regions": [{"name": "A", "origin": "0x0", "bytes": 64, "usable_for_arena": True},
                       {"name": "B", "origin": 32, "bytes": 64, "usable_for_arena": True}]}, "overlap"),
    ({"sram_regions": [{"name": "A", "origin": "zero", "bytes": 64, "usable_for_arena": True}]}, "address"),
    ({"platformio": {"platform": "ststm32"}}, "platformio must be"),
    ({"extra": 1}, "unknown field(s) extra"),
    ({"link": None}, "link must be null for the host"),
    ({"link": {"ram": {"region": "X", "origin": "0x20000200", "bytes": 1024}, "flash": {"origin": 0, "bytes": 4096},
               "reserve": {"ram_bytes": 0, "flash_bytes": 0, "why": "x"}}}, "is not inside"),
    ({"link": {"ram": {"region": "X", "origin": "0x20000000", "bytes": 1024}, "flash": {"origin": 0, "bytes": 8192},
               "reserve": {"ram_bytes": 0, "flash_bytes": 0, "why": "x"}}}, "not inside the board's flash"),
    ({"link": {"ram": {"region": "X", "origin": "0x20000000", "bytes": 1024}, "flash": {"origin": 0, "bytes": 4096},
               "reserve": {"ram_bytes": 1024, "flash_bytes": 0, "why": "x"}}}, "reserve.ram_bytes"),
    ({"link": {"ram": {"region": "X", "origin": "0x20000000", "bytes": 1024}, "flash": {"origin": 0, "bytes": 4096},
               "reserve": {"ram_bytes": 0, "flash_bytes": 0, "why": ""}}}, "must say where"),
])
def test_bad_board_data_is_refused(changes, words):
    with pytest.raises(TinygenError) as e:
        parse_board(_board(**changes))
    assert words in str(e.value)


def test_a_missing_field_is_refused():
    data = _board()
    del data["clock_hz"]
    with pytest.raises(TinygenError, match="missing field"):
        parse_board(data)


def test_host_must_have_no_limits():
    with pytest.raises(TinygenError, match="no limits"):
        parse_board(_board(name="host", core="host", link=None))


def test_cli_lists_every_board():
    result = run_cli("boards")
    assert result.returncode == 0, result.stderr
    for name in EXPECTED:
        assert f"\n{name} " in "\n" + result.stdout
    assert "qemu -M mps2-an386" in result.stdout and "320 KB" in result.stdout


def test_cli_boards_json():
    result = run_cli("boards", "--json")
    assert result.returncode == 0, result.stderr
    listed = json.loads(result.stdout)
    assert {b["name"] for b in listed} == EXPECTED
    f746 = next(b for b in listed if b["name"] == "disco_f746ng")
    assert f746["link"]["ram"]["bytes"] == 320 * KIB and f746["platformio"]["board"] == "disco_f746ng"
    assert f746["arena_limit_bytes"] == 320 * KIB - f746["link"]["reserve"]["ram_bytes"]


def test_installed_wheel_finds_the_board_files(tmp_path):
    """In a wheel the data package must not shadow the tinygen.boards module."""
    # From a clean copy, as CI's fresh clone: setuptools reuses a stale build/ directory left in a work tree.
    source = tmp_path / "src"
    shutil.copytree(REPO, source, ignore=shutil.ignore_patterns(
        "build", "dist", ".venv", ".git", "__pycache__", "*.egg-info", ".pytest_cache", ".hypothesis", "out"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path / "wheel"),
                    str(source)], check=True, capture_output=True)
    wheel = next((tmp_path / "wheel").glob("tinygen-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "tinygen/boards.py" in names and "tinygen/simulate.py" in names
    assert {f"tinygen/board_files/{name}.json" for name in EXPECTED} <= names
    assert not any(n.startswith("tinygen/boards/") for n in names)
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    probe = (f"import tinygen.boards as b; assert b.__file__.startswith({str(site)!r}), b.__file__; "
             "print(len(b.all_boards()), b.get_board('nucleo_h743zi').link.ram.bytes)")
    result = subprocess.run([sys.executable, "-S", "-c", f"import sys; sys.path[:0] = [{str(site)!r}]; {probe}"],
                            capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [str(len(EXPECTED)), str(512 * KIB)]


def test_every_board_core_has_latency_figures():
    """The search's --latency estimates every board with a clock from boards/cores/latency.json."""
    from tinygen.nas.graph import LATENCY_KINDS, core_latency

    for board in (b for b in all_boards() if b.clock_hz):
        figures = core_latency(board.core)
        assert all(figures["macs_per_cycle"][k] > 0 for k in LATENCY_KINDS), board.name
        assert figures["cycles_per_layer_without_macs"] >= 0


def test_a_core_without_latency_figures_is_named():
    from tinygen.nas.graph import core_latency

    with pytest.raises(TinygenError, match="no latency figures for cortex-m85"):
        core_latency("cortex-m85")
