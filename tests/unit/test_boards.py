"""Board files: every one loads against the schema, the derived limits are right, the CLI lists them,
and an installed wheel finds them (the data package is tinygen.board_files, not tinygen.boards)."""
import json
import shutil
import subprocess
import sys
import zipfile

import pytest

from tinygen.boards import Region, _contiguous_spans, all_boards, boards_dir, get_board, parse_board
from tinygen.errors import TinygenError
from helpers import REPO, run_cli

EXPECTED = {"disco_f746ng", "nucleo_f746zg", "nucleo_h743zi", "nucleo_f411re", "nucleo_l476rg", "nano33ble",
            "qemu_mps2_an386", "qemu_mps2_an500", "qemu_netduinoplus2", "host"}
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


@pytest.mark.parametrize("name, sram, arena, flash, clock", [
    ("disco_f746ng", 320 * KIB, 320 * KIB, 1024 * KIB, 216_000_000),  # DTCM + SRAM1 + SRAM2 are adjacent
    ("nucleo_f746zg", 320 * KIB, 320 * KIB, 1024 * KIB, 216_000_000),
    ("nucleo_h743zi", 996 * KIB, 512 * KIB, 2048 * KIB, 480_000_000),  # AXI SRAM is the largest region
    ("nucleo_f411re", 128 * KIB, 128 * KIB, 512 * KIB, 100_000_000),
    ("nucleo_l476rg", 128 * KIB, 128 * KIB, 1024 * KIB, 80_000_000),  # SRAM2's alias follows SRAM1
    ("nano33ble", 256 * KIB, 256 * KIB, 960 * KIB, 64_000_000),  # 64 KB of flash is the bootloader's
    ("qemu_mps2_an386", None, 4096 * KIB, 4096 * KIB, 25_000_000),
    ("qemu_mps2_an500", None, 4096 * KIB, 4096 * KIB, 25_000_000),
    ("qemu_netduinoplus2", 192 * KIB, 128 * KIB, 1024 * KIB, 168_000_000),  # CCM is not usable for the arena
])
def test_limits(name, sram, arena, flash, clock):
    board = get_board(name)
    if sram is not None:
        assert board.sram_bytes == sram
    assert board.arena_limit_bytes == arena
    assert board.flash_bytes == flash
    assert board.clock_hz == clock
    assert board.is_cortex_m and board.gcc_flags()[:2] == [f"-mcpu={board.core}", "-mthumb"]


def test_host_has_no_limits():
    host = get_board("host")
    assert host.is_host and host.arena_limit_bytes is None and host.flash_bytes is None and host.sram_bytes is None
    assert host.gcc_flags() == []


def test_fpu_flags():
    assert "-mfpu=fpv5-sp-d16" in get_board("disco_f746ng").gcc_flags()
    assert "-mfpu=fpv5-d16" in get_board("nucleo_h743zi").gcc_flags()
    assert "-mfpu=fpv4-sp-d16" in get_board("nano33ble").gcc_flags()


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
            "flash": {"origin": 0, "bytes": 4096}, "platformio": None, "emulator": None}
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
        parse_board(_board(name="host", core="host"))


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
    assert f746["arena_limit_bytes"] == 320 * KIB and f746["platformio"]["board"] == "disco_f746ng"


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
             "print(len(b.all_boards()), b.get_board('nucleo_h743zi').arena_limit_bytes)")
    result = subprocess.run([sys.executable, "-S", "-c", f"import sys; sys.path[:0] = [{str(site)!r}]; {probe}"],
                            capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [str(len(EXPECTED)), str(512 * KIB)]
