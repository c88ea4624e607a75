"""The architecture search's latency model against the emulated cores: its stored figures
(boards/cores/latency.json, from benchmarks/latency_model.py --write) still predict what the
builtin kernels measure. Fails when the kernels change speed and the figures were not measured
again."""
import shutil

import pytest
from helpers import shared_or_skip

from tinygen.boards import get_board
from tinygen.compiler import compile_model
from tinygen.emulation import run_emulated
from tinygen.inputs import random_inputs
from tinygen.nas.graph import latency_ms, macs_by_kind
from tinygen.options import CompileOptions

pytestmark = pytest.mark.skipif(shutil.which("qemu-system-arm") is None or shutil.which("arm-none-eabi-gcc") is None,
                                reason="qemu-system-arm and arm-none-eabi-gcc are needed")


@pytest.mark.parametrize("board_name", ["qemu_mps2_an500", "qemu_mps2_an385"])
def test_stored_figures_predict_a_mobilenet_within_15_percent(board_name):
    board = get_board(board_name)
    program = compile_model(shared_or_skip("models/mlperf_vww_96_int8.tflite"), CompileOptions(patch="off"), board)
    _, cycles = run_emulated(program, board, random_inputs(program.graph, 1, 0), profile=False)
    measured_ms = 1000.0 * int(cycles["total"][0]) / board.clock_hz
    kinds = macs_by_kind([(step.op, step.call) for step in program.steps if step.call.kind == "call"])
    estimated_ms = latency_ms(kinds, board)
    assert 0.85 <= estimated_ms / measured_ms <= 1.15, (estimated_ms, measured_ms)
