"""The reference: TFLite Micro's own interpreter (the `tflite-micro` package), not LiteRT."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from tinygen.errors import TinygenError

ORACLE_ARENA_BYTES = 64 << 20


def tflm_interpreter(model: Path):
    try:
        from tflite_micro.python.tflite_micro import runtime
    except ImportError:
        raise TinygenError("the tflite-micro package is needed as the reference: pip install tflite-micro") from None
    try:
        return runtime.Interpreter.from_file(str(model), arena_size=ORACLE_ARENA_BYTES)
    except Exception as e:  # the binding raises plain RuntimeError with TFLM's log
        raise TinygenError(f"{model}: TFLite Micro cannot load this model ({str(e).strip().splitlines()[-1]})") from None


def run_tflm(model: Path, samples: list[list[np.ndarray]], num_outputs: int) -> list[list[np.ndarray]]:
    """Outputs of TFLM for each sample (a list with one array per model input)."""
    interpreter = tflm_interpreter(model)
    results = []
    for sample in samples:
        for i, x in enumerate(sample):
            interpreter.set_input(x, i)
        interpreter.invoke()
        results.append([np.array(interpreter.get_output(i)) for i in range(num_outputs)])
    return results
