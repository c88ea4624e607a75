"""`tinygen demo person-detection`: photos in, "person / no person" out of a board, checked
against TFLite Micro.

  1. the model (--model, or --search DATA through `tinygen search`) is compiled for the board;
  2. every image is preprocessed to the model's input (tinygen.preprocess);
  3. the board runs each one: an emulated board runs the serving firmware in QEMU with its UART on
     a TCP socket, a real board runs the PlatformIO app on its serial port; both speak the protocol
     of templates/app/tinygen_serve.h through the same client (tinygen.firmware.serial_client);
  4. TFLite Micro's interpreter runs the same int8 inputs: every raw output must be identical;
  5. per image: person score, label, cycles and milliseconds at the board's clock; with labelled
     folders (person/, non_person/) accuracy and a confusion table; a PNG contact sheet.

Which output is "person": a model with one output value gives the person score itself; with two
(Visual Wake Words and TFLM person detection order them "no person", "person") index 1 is the
default; any other count needs --person-index. A 2-class answer is "person" when the person score
is the largest (ties: no person); a single score, or --threshold T, compares the score with T
(default 0.5). Scores are the dequantized outputs: softmax probabilities for both models above.
"""
from __future__ import annotations

import importlib.util
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from tinygen.preprocess import IMAGE_SUFFIXES, Preprocess, infer_preprocess
from tinygen.errors import TinygenError
from tinygen.options import DEFAULT, CompileOptions
from tinygen.passes.int8_io import to_model_outputs, to_program_inputs
from tinygen.inputs import split_outputs
from tinygen.firmware.serving import SerialLink, board_answers, emulated_answers

DEFAULT_BOARD = "qemu_mps2_an500"  # the emulated Cortex-M7
PERSON_FOLDERS = {"person", "persons", "people"}
NO_PERSON_FOLDERS = {"non_person", "no_person", "not_person", "nonperson", "noperson", "notperson",
                     "non-person", "no-person", "not-person", "background"}

MODEL_HELP = """person-detection needs a model: --model M.tflite (any int8
.tflite person detector with a 1 x H x W x 1 or 3 image input) or --search DATA (one found and trained
with `tinygen search` on a folder of labelled images).
Ready-made detectors to download on a machine with internet:
  MLPerf Tiny visual wake words reference (MobileNetV1 0.25, 96x96 RGB, from github.com/mlcommons/tiny):
    https://github.com/mlcommons/tiny/raw/v1.1/benchmark/training/visual_wake_words/trained_models/vww_96_int8.tflite
  TensorFlow Lite Micro person detection example (96x96 grayscale, from github.com/tensorflow/tflite-micro):
    https://github.com/tensorflow/tflite-micro/raw/main/tensorflow/lite/micro/models/person_detect.tflite
Walkthrough: examples/person_detection/README.md"""

IMAGES_HELP = """person-detection needs photos: --images DIR, a folder of JPEG/PNG/BMP images. With
subfolders person/ and non_person/ it also reports accuracy and a confusion table.
Labelled person-detection data to download on a machine with internet:
  Visual Wake Words at 96x96, the dataset of the MLPerf Tiny VWW model (COCO 2014 photos, in person/ and non_person/):
    https://www.silabs.com/public/files/github/machine_learning/benchmarks/datasets/vw_coco2014_96.tar.gz
  Wake Vision (about 6 million images, a manually labelled test split), https://huggingface.co/datasets/Harvard-Edge/Wake-Vision:
    python examples/person_detection/wake_vision_folders.py OUT_DIR  writes a sample into OUT_DIR/person and OUT_DIR/non_person
Walkthrough: examples/person_detection/README.md"""


@dataclass
class ImageResult:
    file: str  # relative to the images folder
    truth: bool | None  # from the folder: True person, False no person, None unlabelled
    score: float
    person: bool
    cycles: int
    ms: float | None
    outputs: list  # the board's raw outputs (every output, flattened)
    reference: list  # TFLite Micro's
    identical: bool
    reference_person: bool | None = None  # TFLite Micro's answer

    @property
    def correct(self) -> bool | None:
        return None if self.truth is None else self.truth == self.person


@dataclass
class DemoReport:
    model: str
    board: str
    emulated: bool
    clock_hz: int | None
    preprocess: dict
    person_index: int
    decision: str
    cycles_unit: str
    results: list[ImageResult] = field(default_factory=list)
    sheet: str | None = None
    seconds: float = 0.0

    @property
    def mismatches(self) -> list[ImageResult]:
        return [r for r in self.results if not r.identical]

    @property
    def labelled(self) -> list[ImageResult]:
        return [r for r in self.results if r.truth is not None]

    def accuracy(self, reference: bool = False) -> tuple[int, int] | None:
        """(correct, labelled) for the board's answers, or for TFLite Micro's with reference=True."""
        labelled = self.labelled
        if not labelled:
            return None
        return sum((r.reference_person if reference else r.person) == r.truth for r in labelled), len(labelled)

    def confusion(self) -> dict | None:
        """Counts by (truth, prediction)."""
        if not self.labelled:
            return None
        table = {"person": {"person": 0, "no_person": 0}, "no_person": {"person": 0, "no_person": 0}}
        for r in self.labelled:
            table["person" if r.truth else "no_person"]["person" if r.person else "no_person"] += 1
        return table

    def to_dict(self) -> dict:
        accuracy, reference = self.accuracy(), self.accuracy(reference=True)
        return {
            "model": self.model, "board": self.board, "emulated": self.emulated, "clock_hz": self.clock_hz,
            "preprocess": self.preprocess, "person_index": self.person_index, "decision": self.decision,
            "cycles_unit": self.cycles_unit, "images": len(self.results),
            "identical_to_tflm": not self.mismatches, "mismatches": [r.file for r in self.mismatches],
            "accuracy": None if accuracy is None else {"correct": accuracy[0], "labelled": accuracy[1],
                                                       "fraction": accuracy[0] / accuracy[1]},
            "reference_accuracy": None if reference is None else {"correct": reference[0], "labelled": reference[1]},
            "confusion": self.confusion(), "sheet": self.sheet, "seconds": round(self.seconds, 2),
            "results": [{**asdict(r), "correct": r.correct} for r in self.results],
        }


# --- inputs ---------------------------------------------------------------------------------------

def find_images(directory: Path, limit: int | None = None) -> list[Path]:
    """Image files under `directory` (recursively), sorted by path; with `limit`, that many spread
    evenly over the sorted list (so a few images still cover every folder)."""
    directory = Path(directory)
    if not directory.is_dir():
        raise TinygenError(f"--images {directory}: no such folder\n{IMAGES_HELP}")
    files = sorted((p for p in directory.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES),
                   key=lambda p: p.relative_to(directory).as_posix())
    if not files:
        raise TinygenError(f"--images {directory}: no images there ({', '.join(sorted(IMAGE_SUFFIXES))})\n"
                           f"{IMAGES_HELP}")
    if limit is not None and limit < len(files):
        picks = np.unique(np.linspace(0, len(files) - 1, max(limit, 1)).round().astype(int))
        files = [files[i] for i in picks]
    return files


def folder_label(relative: Path) -> bool | None:
    """True / False from the nearest folder named like person/ or non_person/; None otherwise."""
    for part in reversed(relative.parts[:-1]):
        name = part.lower()
        if name in PERSON_FOLDERS:
            return True
        if name in NO_PERSON_FOLDERS:
            return False
    return None


def model_from_search(data: Path, out_dir: Path, board: str, settings: dict | None = None) -> Path:
    """A person detector from the architecture search (tinygen.nas.search) on `data`, a folder of
    labelled images, written to out_dir; `settings` are more of its Settings (time_budget, sram_kb...)."""
    if importlib.util.find_spec("tensorflow") is None:
        raise TinygenError("--search needs `tinygen search`, which needs TensorFlow (pip install 'tinygen[train]'); "
                           f"give --model M.tflite instead.\n{MODEL_HELP}")
    if not Path(data).is_dir():
        raise TinygenError(f"--search {data}: no such folder (a folder of labelled images: person/, non_person/)")
    from tinygen.nas.search import Settings, run_search

    report = run_search(Settings(board=board, data=str(data), out=str(out_dir), **(settings or {})))
    return Path(report["winner"]["model"])


# --- which output is "person" ---------------------------------------------------------------------

def person_output(graph, person_index: int | None, threshold: float | None) -> tuple[int, str]:
    """The index of the person score among the outputs' values, and how an answer is decided."""
    size = sum(t.size for t in graph.outputs)
    if person_index is None:
        if size == 1:
            person_index = 0
        elif size == 2:
            person_index = 1  # VWW / TFLM person detection: (no person, person)
        else:
            raise TinygenError(f"the model has {size} output values: say which one is the person score with "
                               "--person-index N")
    if not 0 <= person_index < size:
        raise TinygenError(f"--person-index {person_index}: the model has {size} output values (0 to {size - 1})")
    if threshold is not None or size == 1:
        return person_index, f"person when score >= {0.5 if threshold is None else threshold:g}"
    return person_index, f"person when output {person_index} is the largest (ties: no person)"


def _values(graph, raw: bytes) -> tuple[np.ndarray, np.ndarray]:
    """Raw outputs (all outputs, flattened, as bytes) to (integers as the board gave them, real values)."""
    ints, reals, pos = [], [], 0
    for t in graph.outputs:
        x = np.frombuffer(raw, dtype=t.dtype, count=t.size, offset=pos)
        pos += t.nbytes
        ints.append(x.astype(np.float64) if x.dtype.kind == "f" else x.astype(np.int64))
        q = t.quant
        reals.append(x.astype(np.float64) if q is None or x.dtype.kind == "f"
                     else float(q.s) * (x.astype(np.float64) - q.zp))
    return np.concatenate(ints), np.concatenate(reals)


def decide(real: np.ndarray, person_index: int, threshold: float | None) -> bool:
    score = real[person_index]
    if threshold is not None or real.size == 1:
        return bool(score >= (0.5 if threshold is None else threshold))
    others = np.delete(real, person_index)
    return bool(score > others.max())



# --- the demo -------------------------------------------------------------------------------------

def run_demo(model: Path | None, images: Path | None, board_name: str | None = None, overrides: dict | None = None,
             person_index: int | None = None, threshold: float | None = None, search: Path | None = None,
             search_settings: dict | None = None, port: str | None = None, flash: bool = True, project: Path | None = None, limit: int | None = None,
             timeout: float = 30.0, sheet: Path | None = None, options: CompileOptions = DEFAULT, progress=None,
             say=lambda text: None) -> DemoReport:
    """Everything `tinygen demo person-detection` does; the CLI only prints the report."""
    from tinygen.boards import get_board
    from tinygen.flash_fit import compile_within_flash
    from tinygen.frontend import load_model
    from tinygen.oracle import run_tflm

    start = time.monotonic()
    missing = ([MODEL_HELP] if model is None and search is None else []) + ([IMAGES_HELP] if images is None else [])
    if missing:
        raise TinygenError("\n\n".join(missing))
    board = get_board(board_name or DEFAULT_BOARD)
    if board.is_host or not (board.emulator or board.platformio):
        raise TinygenError(f"--board {board.name}: the demo runs on an emulated board or a real one "
                           "(see `tinygen boards`)")
    files = find_images(images, limit)
    if model is None:
        search_dir = Path(tempfile.mkdtemp(prefix="tinygen-search-"))
        say(f"searching a person detector on {search} with `tinygen search` (into {search_dir}) ...")
        model = model_from_search(search, search_dir, board.name, search_settings)
        say(f"tinygen search found {model}")
    model = Path(model)
    if not model.is_file():
        raise TinygenError(f"--model {model}: no such file\n{MODEL_HELP}")
    graph = load_model(model)
    if len(graph.inputs) != 1:
        raise TinygenError(f"{model}: a person detector takes one image; this model has {len(graph.inputs)} inputs")
    spec = infer_preprocess(graph.inputs[0], overrides)
    index, decision = person_output(graph, person_index, threshold)
    program = compile_within_flash(model, options, board, say)
    say(f"{model.name} on {board.name}: {spec.describe()}; {decision}")
    tensors = [spec.tensor(f) for f in files]
    reference = run_tflm(model, [[x] for x in tensors], len(graph.outputs))
    inputs = [to_program_inputs(program.graph, [x])[0].tobytes() for x in tensors]
    if board.emulator:
        from tinygen.firmware.build import icount_shift
        from tinygen.firmware.qemu import cycles_unit

        answers = emulated_answers(program, board, inputs, timeout, progress)
        unit = cycles_unit(icount_shift(board))
    else:
        sample = to_program_inputs(program.graph, [tensors[0]])[0]
        link = SerialLink(port, flash, Path(project) if project else Path(f"person_detection_{board.name}"), timeout)
        answers = board_answers(program, board, inputs, [sample], link, progress, say)
        unit = "cycles of the board's core (DWT cycle counter where the core has one)"
    report = DemoReport(str(model), board.name, bool(board.emulator), board.clock_hz, spec.to_dict(), index,
                        decision, unit)
    for f, answer, expected in zip(files, answers, reference):
        outputs = to_model_outputs(program.graph, split_outputs(answer.outputs, program.graph.outputs, 1, board.name)[0])
        raw = b"".join(np.ascontiguousarray(y, dtype=t.dtype).tobytes() for y, t in zip(outputs, graph.outputs))
        ints, reals = _values(graph, raw)
        ref_raw = b"".join(np.ascontiguousarray(y, dtype=t.dtype).tobytes() for y, t in zip(expected, graph.outputs))
        ref_ints, ref_reals = _values(graph, ref_raw)
        result = ImageResult(
            file=f.relative_to(images).as_posix(), truth=folder_label(f.relative_to(images)),
            score=round(float(reals[index]), 6), person=decide(reals, index, threshold), cycles=answer.cycles,
            ms=1000.0 * answer.cycles / board.clock_hz if board.clock_hz else None,
            outputs=ints.tolist(), reference=ref_ints.tolist(), identical=raw == ref_raw,
            reference_person=decide(ref_reals, index, threshold))
        report.results.append(result)
    if sheet is not None:
        from tinygen.demo.sheet import contact_sheet

        accuracy = report.accuracy()
        title = f"{model.name} on {board.name}" + (f": {accuracy[0]}/{accuracy[1]} correct" if accuracy else "")
        report.sheet = str(contact_sheet([{**asdict(r)} for r in report.results], Path(images), sheet, title))
    report.seconds = time.monotonic() - start
    return report


def preprocess_for(model: Path, overrides: dict | None = None) -> Preprocess:
    """The preprocessing the demo would use for `model` (for tests and tools)."""
    from tinygen.frontend import load_model

    return infer_preprocess(load_model(model).inputs[0], overrides)
