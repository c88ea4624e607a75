"""Models with state on the emulated Cortex-M4 and M7: the firmware runs the inputs as sequences
of invokes through one model instance (tinygen_reset() between sequences), every step compared
with TFLite Micro's interpreter run the same way."""
import shutil
from pathlib import Path

import pytest

from helpers import TFLM_STATEFUL_MODELS, lstm_model, svdf_model, tflm_model_or_skip
from tinygen.boards import get_board
from tinygen.compiler import compile_model
from tinygen.validate import validate

BOARDS = ["qemu_mps2_an386", "qemu_mps2_an500"]
_MISSING = [tool for tool in ("arm-none-eabi-gcc", "qemu-system-arm") if shutil.which(tool) is None]
needs_tools = pytest.mark.skipif(
    bool(_MISSING), reason=f"{' and '.join(_MISSING)} not installed "
                           "(apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm)")


def assert_exact_over_sequences(model: Path, board: str, samples: int, steps: int):
    report = validate(model, compile_model(model, target=get_board(board)), samples=samples, steps=steps)
    assert report.max_abs_diff == 0, report
    assert (report.samples, report.steps) == (samples, steps) and report.state_bytes > 0


@needs_tools
@pytest.mark.parametrize("board", BOARDS)
@pytest.mark.parametrize("build", [lambda p: svdf_model(p, memory=6, seed=3),
                                   lambda p: svdf_model(p, state_dtype="int8", state_zp=-9, seed=4),
                                   lambda p: lstm_model(p, batches=2, time_major=True, cell_clip=0.5, seed=6),
                                   lambda p: lstm_model(p, steps=4, seed=7),
                                   lambda p: lstm_model(p, batches=2, steps=3, cell_clip=1.0, input_dtype="int16",
                                                        seed=8)],
                         ids=["svdf-int16", "svdf-int8", "lstm-time-major", "lstm", "lstm-16x8"])
def test_one_op_models_over_sequences(build, board, tmp_path):
    assert_exact_over_sequences(build(tmp_path / "m.tflite"), board, samples=12, steps=4)


@needs_tools
@pytest.mark.parametrize("board", BOARDS)
@pytest.mark.parametrize("relative", TFLM_STATEFUL_MODELS, ids=lambda r: Path(r).stem)
def test_tflm_stateful_model_over_sequences(relative, board):
    assert_exact_over_sequences(tflm_model_or_skip(relative), board, samples=20, steps=10)
