"""`tinygen demo person-detection`: preprocessing inferred from the model's input, the serial
protocol end to end against emulated boards (QEMU's UART on a TCP socket, pyserial's socket://
client: the same client real boards get), scores identical to TFLite Micro, the messages when
something is missing, the contact sheet. The full 128-image runs are documented commands
(examples/person_detection/README.md), not tests."""
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from helpers import EXAMPLE, REPO, shared_or_skip

from tinygen.boards import all_boards, get_board
from tinygen.compiler import compile_model
from tinygen.options import DEFAULT
from tinygen.firmware.serial_client import BoardClient
from tinygen.demo.person_detection import find_images, folder_label, model_from_search, person_output, run_demo
from tinygen.preprocess import infer_preprocess, parse_overrides
from tinygen.errors import TinygenError
from tinygen.inputs import random_inputs
from tinygen.ir import Quant, Tensor
from tinygen.oracle import run_tflm

_MISSING = [tool for tool in ("arm-none-eabi-gcc", "qemu-system-arm") if shutil.which(tool) is None]
needs_tools = pytest.mark.skipif(
    bool(_MISSING), reason=f"{' and '.join(_MISSING)} not installed "
                           "(apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm)")


def demo(*args, env=None):
    return subprocess.run([sys.executable, "-m", "tinygen", "demo", "person-detection", *map(str, args)],
                          capture_output=True, text=True, env=env, cwd=REPO, check=False)


def _input(shape=(1, 96, 96, 3), dtype="int8", scale=1 / 255, zp=-128) -> Tensor:
    quant = None if scale is None else Quant(np.array([scale], np.float32), np.array([zp]))
    return Tensor("input", shape, dtype, quant)


def _photos(root: Path, per_class: int = 2) -> Path:
    """Synthetic photos of various sizes and modes in person/ and non_person/, and one unlabelled."""
    from PIL import Image

    rng = np.random.default_rng(3)
    for folder in ("person", "non_person"):
        (root / folder).mkdir(parents=True)
        for i in range(per_class):
            h, w = rng.integers(40, 120, 2)
            pixels = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
            Image.fromarray(pixels).save(root / folder / f"{i}.{'png' if i % 2 else 'jpg'}")
    Image.fromarray(rng.integers(0, 256, (50, 70), dtype=np.uint8)).save(root / "loose.bmp")  # grayscale file
    return root


# --------------------------------------------------------------------------- preprocessing

def test_preprocessing_of_the_shared_detectors_is_inferred():
    from tinygen.frontend import load_model

    vww = infer_preprocess(load_model(shared_or_skip("models/mlperf_vww_96_int8.tflite")).inputs[0])
    assert (vww.height, vww.width, vww.color, vww.low, vww.high, vww.resize) == (96, 96, "rgb", 0.0, 1.0, "bilinear")
    assert vww.zero_point == -128 and "inferred" in vww.reasons["range"]
    person = infer_preprocess(load_model(shared_or_skip("models/tflm_person_detect_int8.tflite")).inputs[0])
    assert (person.color, person.low, person.high, person.zero_point) == ("gray", -1.0, 1.0, -1)


def test_range_inference_rule():
    # The real values the quantized input can represent decide: [0, 1], [-1, 1] or [0, 255].
    assert infer_preprocess(_input(scale=1 / 255, zp=-128)).spec() == "range=0,1,color=rgb,resize=bilinear"
    assert infer_preprocess(_input(scale=1 / 128, zp=0)).spec().startswith("range=-1,1,")
    assert infer_preprocess(_input(scale=2 / 255, zp=-1)).spec().startswith("range=-1,1,")
    assert infer_preprocess(_input(scale=1.0, zp=-128)).spec().startswith("range=0,255,")
    assert infer_preprocess(_input(dtype="uint8", scale=1 / 255, zp=0)).spec().startswith("range=0,1,")
    assert infer_preprocess(_input(shape=(1, 8, 8, 1))).color == "gray"
    assert infer_preprocess(_input(dtype="float32", scale=None)).reasons["range"].startswith("assumed")
    with pytest.raises(TinygenError, match=r"represents \[-0.64, 0.635\].*--preprocess range=LOW,HIGH"):
        infer_preprocess(_input(scale=0.005, zp=0))
    with pytest.raises(TinygenError, match="1 \\(gray\\) or 3 \\(RGB\\)"):
        infer_preprocess(_input(shape=(1, 8, 8, 4)))
    # Overrides win, and are checked against the input.
    spec = infer_preprocess(_input(scale=0.005, zp=0), parse_overrides(["range=-1,1", "resize=nearest"]))
    assert (spec.low, spec.high, spec.resize, spec.reasons["range"]) == (-1.0, 1.0, "nearest", "--preprocess")
    with pytest.raises(TinygenError, match="color=gray does not fit"):
        infer_preprocess(_input(), parse_overrides(["color=gray"]))


def test_preprocess_option_parsing():
    assert parse_overrides(["range=-1,1,color=gray,resize=bilinear"]) == {
        "range": (-1.0, 1.0), "color": "gray", "resize": "bilinear"}
    assert parse_overrides(["range=0,255 color=RGB", "resize=box"]) == {
        "range": (0.0, 255.0), "color": "rgb", "resize": "box"}
    for bad, message in [("range=1", "two numbers"), ("range=1,0", "high end"), ("colour=rgb", "unknown setting"),
                         ("resize=magic", "one of"), ("gray", "expected settings")]:
        with pytest.raises(TinygenError, match=message):
            parse_overrides([bad])


def test_preprocessing_steps(tmp_path):
    """RGB, resize, then grayscale; /255 to the range; round(x / scale) + zero point."""
    from PIL import Image

    path = _photos(tmp_path) / "person" / "0.jpg"
    spec = infer_preprocess(_input(shape=(1, 24, 16, 1), scale=2 / 255, zp=-1))
    expected_pixels = np.asarray(Image.open(path).convert("RGB").resize((16, 24), Image.BILINEAR).convert("L"),
                                 np.float32)
    x = np.float32(-1) + expected_pixels / np.float32(255) * np.float32(2)
    expected = np.clip(np.round(x / np.float32(2 / 255)) - 1, -128, 127).astype(np.int8)
    got = spec.tensor(path)
    assert got.shape == (1, 24, 16, 1) and got.dtype == np.int8
    assert np.array_equal(got.reshape(24, 16), expected)


# --------------------------------------------------------------------------- images, labels, outputs

def test_images_labels_and_limit(tmp_path):
    root = _photos(tmp_path, per_class=5)
    files = find_images(root)
    assert len(files) == 11 and files[0].name == "loose.bmp"
    assert [folder_label(f.relative_to(root)) for f in files[:2]] == [None, False]
    picked = find_images(root, limit=3)
    assert len(picked) == 3 and {folder_label(f.relative_to(root)) for f in picked} == {None, False, True}
    assert folder_label(Path("vw/non_person/a.jpg")) is False and folder_label(Path("x/person/b.png")) is True


def test_person_output_rule():
    one = type("G", (), {"outputs": [_input(shape=(1, 1))]})()
    two = type("G", (), {"outputs": [_input(shape=(1, 2))]})()
    many = type("G", (), {"outputs": [_input(shape=(1, 5))]})()
    assert person_output(one, None, None) == (0, "person when score >= 0.5")
    assert person_output(two, None, None)[0] == 1 and "largest" in person_output(two, None, None)[1]
    assert person_output(two, 0, 0.7) == (0, "person when score >= 0.7")
    with pytest.raises(TinygenError, match="--person-index"):
        person_output(many, None, None)
    with pytest.raises(TinygenError, match="0 to 4"):
        person_output(many, 5, None)


# --------------------------------------------------------------------------- what is missing

def test_without_model_or_images_it_says_what_it_needs_and_where_to_get_it(tmp_path):
    result = demo()
    assert result.returncode == 2 and "Traceback" not in result.stderr
    for needed in ("--model M.tflite", "github.com/mlcommons/tiny", "vww_96_int8.tflite", "tflite-micro",
                   "person_detect.tflite", "--images DIR", "person/ and non_person/", "vw_coco2014_96.tar.gz",
                   "Wake-Vision", "examples/person_detection/README.md"):
        assert needed in result.stderr, needed
    only_images = demo("--model", EXAMPLE)
    assert only_images.returncode == 2 and "--images DIR" in only_images.stderr and "mlcommons" not in only_images.stderr
    (tmp_path / "empty").mkdir()
    empty = demo("--model", EXAMPLE, "--images", tmp_path / "empty")
    assert empty.returncode == 2 and "no images there" in empty.stderr
    no_model = demo("--model", tmp_path / "absent.tflite", "--images", _photos(tmp_path / "p"))
    assert no_model.returncode == 2 and "no such file" in no_model.stderr and "mlcommons" in no_model.stderr


def test_search_without_tinygen_search_is_a_clear_error(tmp_path, monkeypatch):
    import importlib.util

    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None if name == "tensorflow" else real_find_spec(name))
    with pytest.raises(TinygenError, match="--search needs `tinygen search`.*--model M.tflite"):
        model_from_search(tmp_path, tmp_path / "out", "qemu_mps2_an500")


# --------------------------------------------------------------------------- the protocol client

class FakeLink:
    """A board on the other end of a serial line: canned replies, one per request."""

    def __init__(self, greeting: bytes, replies: list[bytes]):
        self.incoming, self.replies, self.sent = bytearray(greeting), list(replies), bytearray()

    @property
    def in_waiting(self):
        return len(self.incoming)

    def read(self, n=1):
        data, self.incoming[:] = bytes(self.incoming[:n]), self.incoming[n:]
        return data

    def write(self, data):
        self.sent += data
        if data.startswith(b"I") and self.replies:
            self.incoming += self.replies.pop(0)

    def flush(self):
        pass

    def close(self):
        pass


def test_client_reads_banner_comments_and_answers():
    link = FakeLink(b"# a comment\r\n\r\nTINYGEN READY 3 2\r\n", [b"# working\nO 1234 7f80\n", b"O -5 0001\n"])
    client = BoardClient(link, "fake", timeout=1)
    assert client.wait_ready(1, expect=(3, 2)) == (3, 2)
    answer = client.infer(b"\x01\x02\x03")
    assert (answer.cycles, answer.outputs) == (1234, b"\x7f\x80") and link.sent == b"I\x01\x02\x03"
    assert client.infer(b"abc").cycles == 2**32 - 5  # a wrapped uint32 printed as int32
    assert client.comments == ["# a comment", "# working"]
    with pytest.raises(TinygenError, match="needs 3 input bytes"):
        client.infer(b"ab")
    with pytest.raises(TinygenError, match="fake: no answer within 0.2 s"):
        client.infer(b"abc", timeout=0.2)


def test_client_probes_a_board_whose_banner_it_missed_and_refuses_others():
    client = BoardClient(FakeLink(b"", [b"O 1 00\n"]), "fake")
    assert client.wait_ready(0.2, expect=(4, 1)) == (4, 1)
    with pytest.raises(TinygenError, match="runs another model: it takes 5 input bytes"):
        BoardClient(FakeLink(b"TINYGEN READY 5 1\n", []), "fake").wait_ready(1, expect=(4, 1))
    with pytest.raises(TinygenError, match="no answer within 0.2 s, neither a banner nor a reply"):
        BoardClient(FakeLink(b"# booting\n", []), "fake").wait_ready(0.2, expect=(4, 1))
    garbage = BoardClient(FakeLink(b"TINYGEN READY 1 1\n", [b"O 12 zz\n"]), "fake")
    garbage.wait_ready(1)
    with pytest.raises(TinygenError, match="not hex"):
        garbage.infer(b"x")


def test_socket_link_keeps_what_the_board_sent_before_the_first_read():
    """QEMU starts the firmware when the client connects: a banner sent at once must not be lost."""
    import socket
    import threading
    from tinygen.firmware.serial_client import open_url

    server = socket.create_server(("127.0.0.1", 0))

    def board():
        connection, _ = server.accept()
        connection.sendall(b"# hello\nTINYGEN READY 2 1\n")
        assert connection.recv(3) == b"I\x05\x06"
        connection.sendall(b"O 9 7f\n")
        connection.close()

    threading.Thread(target=board, daemon=True).start()
    with BoardClient(open_url(f"socket://127.0.0.1:{server.getsockname()[1]}"), "socket", timeout=5) as client:
        time.sleep(0.3)  # the banner is there before the client reads
        assert client.wait_ready(5) == (2, 1) and client.comments == ["# hello"]
        assert client.infer(b"\x05\x06").outputs == b"\x7f"
        with pytest.raises(TinygenError, match="closed its UART"):
            client.infer(b"\x05\x06")
    server.close()


# --------------------------------------------------------------------------- end to end, emulated

@needs_tools
@pytest.mark.parametrize("board", [b.name for b in all_boards() if b.emulator])
def test_serial_protocol_end_to_end_on_the_emulated_uart(board, tmp_path):
    """The serving firmware on QEMU's UART (a TCP socket) answers the client bit-exact, and counts
    the same instructions for the same input however the bytes arrive (with a prefix of its own)."""
    from tinygen.firmware.serial_client import open_url
    from tinygen.firmware import build_firmware
    from tinygen.firmware.qemu import serve_qemu

    target = get_board(board)
    program = compile_model(EXAMPLE, DEFAULT.but(prefix="served"), target)
    samples = random_inputs(program.graph, 3, seed=11)
    reference = run_tflm(EXAMPLE, samples, 1)
    elf = build_firmware(program, target, tmp_path, app="serve")
    assert "-serial tcp:127.0.0.1:" in (tmp_path / "Makefile").read_text()
    with serve_qemu(elf, target) as qemu, BoardClient(open_url(qemu.url), board, timeout=30) as client:
        assert client.wait_ready(30) == (program.graph.inputs[0].nbytes, program.graph.outputs[0].nbytes)
        assert any("on " + board in c for c in client.comments)
        answers = [client.infer(s[0].tobytes()) for s in samples + samples]
    for answer, expected in zip(answers, reference + reference):
        assert answer.outputs == expected[0].astype(np.int8).tobytes()
    cycles = [a.cycles for a in answers]
    assert all(c > 1000 for c in cycles) and cycles[:3] == cycles[3:]


@needs_tools
def test_demo_command_on_photos_writes_report_and_contact_sheet(tmp_path):
    """The whole command with the project's own example model (3 classes, so --person-index) on
    synthetic photos: runs without ../shared."""
    from PIL import Image

    photos = _photos(tmp_path / "photos")
    sheet = tmp_path / "out" / "sheet.png"
    result = demo("--model", EXAMPLE, "--images", photos, "--person-index", "0", "--sheet", sheet, "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["identical_to_tflm"] and report["images"] == 5 and report["board"] == "qemu_mps2_an500"
    assert report["preprocess"]["range"] == [0.0, 1.0] and report["preprocess"]["color"] == "rgb"
    assert report["accuracy"]["labelled"] == 4 and report["reference_accuracy"] == {
        "correct": report["accuracy"]["correct"], "labelled": 4}
    confusion = report["confusion"]
    assert sum(confusion["person"].values()) == 2 and sum(confusion["no_person"].values()) == 2
    first = report["results"][0]
    assert first["file"] == "loose.bmp" and first["truth"] is None and first["correct"] is None
    assert all(r["cycles"] > 0 and r["ms"] == pytest.approx(r["cycles"] / 25e3) for r in report["results"])
    with Image.open(sheet) as image:
        assert image.format == "PNG" and image.width > 300 and image.height > 150
    assert "images" in result.stderr  # the progress bar's label


@needs_tools
@pytest.mark.parametrize("name", ["mlperf_vww_96_int8", "tflm_person_detect_int8"])
def test_shared_person_detectors_score_like_tflite_micro(name, tmp_path):
    """A few coco128_person photos through the emulated Cortex-M7: every raw output identical to
    TFLite Micro's on the same preprocessed input, so the same answers and accuracy."""
    model = shared_or_skip(f"models/{name}.tflite")
    images = shared_or_skip("datasets/coco128_person")
    done = []
    report = run_demo(model, images, limit=4, sheet=tmp_path / "sheet.png",
                      progress=lambda n, total: done.append((n, total)))
    assert done[-1] == (4, 4) and len(report.results) == 4
    assert not report.mismatches, [(r.file, r.outputs, r.reference) for r in report.mismatches]
    assert {r.truth for r in report.results} == {True, False}
    assert report.accuracy() == report.accuracy(reference=True)
    assert all(0.0 <= r.score <= 1.0 and r.cycles > 10**6 for r in report.results)
    assert (tmp_path / "sheet.png").stat().st_size > 10_000


@needs_tools
@pytest.mark.slow
def test_search_then_demo(tmp_path):
    """--search DATA: `tinygen search` (tiny settings) trains a detector on labelled photos, then
    the demo runs it on the emulated Cortex-M7, every score as TFLite Micro's."""
    pytest.importorskip("tensorflow", reason="--search needs TensorFlow (pip install .[train])")
    from PIL import Image

    rng = np.random.default_rng(0)
    for label, level in (("person", 200), ("non_person", 40)):
        (tmp_path / "photos" / label).mkdir(parents=True)
        for i in range(12):
            pixels = np.clip(rng.normal(level, 30, (40, 40, 3)), 0, 255).astype(np.uint8)
            Image.fromarray(pixels).save(tmp_path / "photos" / label / f"{i}.png")
    tiny = dict(sram_kb=16, flash_kb=96, widths=(0.35,), resolutions=(32,), depths=(1,), samples=4, supernet_steps=10,
                population=4, generations=1, finetune_epochs=2, time_budget=3, quiet=True)
    report = run_demo(None, tmp_path / "photos", search=tmp_path / "photos", search_settings=tiny, limit=6,
                      sheet=tmp_path / "sheet.png")
    assert len(report.results) == 6 and not report.mismatches
    assert report.accuracy() == report.accuracy(reference=True)


# --------------------------------------------------------------------------- real boards, offline

def test_real_board_when_platformio_cannot_install_the_platform(tmp_path):
    """A stand-in `pio` that fails the way an offline PlatformIO does (the real one takes a minute
    to give up; tests/unit/test_platformio.py waits for it once)."""
    fake = tmp_path / "bin" / "pio"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\necho 'Platform Manager: Installing ststm32'\necho 'HTTPClientError: ' >&2\nexit 1\n")
    fake.chmod(0o755)
    env = {**os.environ, "PATH": f"{fake.parent}{os.pathsep}{os.environ['PATH']}"}
    result = demo("--model", EXAMPLE, "--images", _photos(tmp_path / "p"), "--person-index", "0",
                  "--board", "nucleo_f411re", "--project", tmp_path / "project", env=env)
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert lines[-1].startswith("tinygen: error: PlatformIO could not install")
    assert sum(line.startswith("tinygen: error") for line in lines) == 1
    assert (tmp_path / "project" / "platformio.ini").exists()


def test_real_board_that_does_not_answer_on_its_port(tmp_path):
    """A serial port with nothing behind it (a pseudo-terminal nobody answers on)."""
    master, slave = os.openpty()
    try:
        result = demo("--model", EXAMPLE, "--images", _photos(tmp_path / "p"), "--person-index", "0",
                      "--board", "nucleo_f411re", "--project", tmp_path / "project", "--no-flash",
                      "--port", os.ttyname(slave), "--timeout", "1")
    finally:
        os.close(master)
        os.close(slave)
    errors = [line for line in result.stderr.splitlines() if line.startswith("tinygen: error")]
    assert result.returncode == 2 and len(errors) == 1 and "Traceback" not in result.stderr
    assert "nucleo_f411re on /dev/" in errors[0] and "no answer within 1 s" in errors[0]
