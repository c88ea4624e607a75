"""The reference: TFLite Micro's own interpreter (the `tflite-micro` package), not LiteRT.

It runs in a child process: TFLM aborts the whole process on some inputs (a failed check inside
a kernel), and that must become a clear error rather than kill the caller.

All samples go through ONE interpreter, in order, as the generated code runs them: its variable
tensors (LSTM and SVDF state) carry over from one invoke to the next, and with `steps` > 0 the
interpreter is reset (variables back to their start-up values) before every steps-th sample.
"""
from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from tinygen.errors import TinygenError

ORACLE_ARENA_BYTES = 64 << 20


def run_tflm(model: Path, samples: list[list[np.ndarray]], num_outputs: int, steps: int = 0,
             timeout: float | None = None) -> list[list[np.ndarray]]:
    """Outputs of TFLM for each sample (a list with one array per model input), every sample an
    invoke of one interpreter, reset before every `steps`-th sample (never with 0); a reference
    that takes longer than `timeout` seconds (a hostile model can make it loop) is an error."""
    with tempfile.TemporaryDirectory(prefix="tinygen-oracle-") as tmp:
        inputs, outputs = Path(tmp) / "inputs.npz", Path(tmp) / "outputs.npz"
        np.savez(inputs, **{f"s{s}_i{i}": x for s, sample in enumerate(samples) for i, x in enumerate(sample)})
        try:
            result = subprocess.run([sys.executable, "-m", "tinygen.oracle", str(model), str(inputs), str(outputs),
                                     str(len(samples)), str(num_outputs), str(steps)], capture_output=True,
                                    text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise TinygenError(f"{model}: the TFLite Micro reference did not finish within {timeout:g} s") from None
        if result.returncode != 0:
            last = (result.stderr.strip().splitlines() or [f"exit code {result.returncode}"])[-1]
            raise TinygenError(f"{model}: the TFLite Micro reference failed ({last})")
        with np.load(outputs) as data:
            return [[data[f"s{s}_o{o}"] for o in range(num_outputs)] for s in range(len(samples))]


def _serve(model: str, inputs: str, outputs: str, count: int, num_outputs: int, steps: int) -> None:
    try:
        from tflite_micro.python.tflite_micro import runtime
    except ImportError:
        sys.exit("the tflite-micro package is needed as the reference: pip install tflite-micro")
    interpreter = runtime.Interpreter.from_file(model, arena_size=ORACLE_ARENA_BYTES)
    results = {}
    with np.load(inputs) as data:
        for s in range(count):
            if steps > 0 and s > 0 and s % steps == 0:
                interpreter.reset()
            i = 0
            while f"s{s}_i{i}" in data:
                interpreter.set_input(data[f"s{s}_i{i}"], i)
                i += 1
            interpreter.invoke()
            for o in range(num_outputs):
                results[f"s{s}_o{o}"] = np.array(interpreter.get_output(o))
    np.savez(outputs, **results)


if __name__ == "__main__":
    _serve(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]))


def tflm_arena_bytes(model: Path) -> dict:
    """TFLM's own arena figures for a model (RecordingMicroAllocator after one invoke): total, head, tail."""
    script = ("import sys\nfrom tflite_micro.python.tflite_micro import runtime\n"
              f"m = runtime.Interpreter.from_file(sys.argv[1], arena_size={ORACLE_ARENA_BYTES})\n"
              "m.invoke()\nm.print_allocations()\n")
    result = subprocess.run([sys.executable, "-c", script, str(model)], capture_output=True, text=True)
    figures = {}
    for line in (result.stdout + result.stderr).splitlines():
        words = line.split()
        if "Arena allocation" in line and len(words) >= 5:
            figures[words[3]] = int(words[4])
    if "total" not in figures:
        raise TinygenError(f"{model}: TFLite Micro did not report its arena (exit {result.returncode})")
    return figures
