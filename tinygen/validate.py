"""Bit-exactness check: the generated C, built for the host, against TFLite Micro on the same inputs."""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from tinygen import codegen
from tinygen.backends.cmsis_nn import extra_sources_and_includes
from tinygen.compiler import Program, compile_model
from tinygen.errors import TinygenError
from tinygen.inputs import load_inputs, random_inputs
from tinygen.ir import Tensor
from tinygen.passes.int8_io import model_outputs, to_model_outputs, to_program_inputs
from tinygen.oracle import run_tflm

HOST_CFLAGS = ["-O2", "-std=c99", "-Wall", "-Wextra"]


@dataclass
class OutputReport:
    name: str
    shape: list[int]
    dtype: str
    max_abs_diff: float
    mismatched_samples: int


@dataclass
class Report:
    model: str
    samples: int
    max_abs_diff: float
    outputs: list[OutputReport] = field(default_factory=list)
    arena_bytes: int = 0
    patch: dict | None = None  # the patch-based stage of the code checked, if any

    @property
    def exact(self) -> bool:
        return self.max_abs_diff == 0


def host_compiler() -> str:
    cc = os.environ.get("CC", "cc")
    if shutil.which(cc) is None:
        raise TinygenError(f"no host C compiler '{cc}' on PATH (set CC, or install gcc)")
    return cc


def build_host(program: Program, build_dir: Path) -> Path:
    """Generate the model with the host runner into build_dir and compile it; returns the executable."""
    codegen.render(program, build_dir, host_app=True)
    sources = [str(build_dir / "main.c"), str(build_dir / "model.c")] + sorted(
        str(p) for p in (build_dir / "kernels").glob("*.c"))
    library_sources, include_dirs = extra_sources_and_includes(program)  # CMSIS-NN, when the program calls it
    exe = build_dir / "model"
    result = subprocess.run([host_compiler(), *HOST_CFLAGS, "-I", str(build_dir), *[f"-I{d}" for d in include_dirs],
                             "-o", str(exe), *sources, *library_sources, "-lm"], capture_output=True, text=True)
    if result.returncode != 0:
        first_error = next((line for line in result.stderr.splitlines() if "error" in line), result.stderr.strip())
        raise TinygenError(f"the generated C did not compile: {first_error}")
    return exe


def run_host(exe: Path, program: Program, samples: list[list[np.ndarray]]) -> list[list[np.ndarray]]:
    stdin = b"".join(np.ascontiguousarray(x, dtype=t.dtype).tobytes()
                     for sample in samples for x, t in zip(sample, program.graph.inputs))
    result = subprocess.run([str(exe)], input=stdin, capture_output=True)
    if result.returncode != 0:
        raise TinygenError(f"the generated model crashed on the host (exit {result.returncode})")
    return split_outputs(result.stdout, program.graph.outputs, len(samples), "the generated model")


def split_outputs(raw: bytes, outputs: list[Tensor], count: int, writer: str) -> list[list[np.ndarray]]:
    """The output tensors of `count` samples, as the generated code writes them one after another."""
    per_sample = sum(t.nbytes for t in outputs)
    if len(raw) != per_sample * count:
        raise TinygenError(f"{writer} wrote {len(raw)} output bytes, expected {per_sample * count}")
    results, pos = [], 0
    for _ in range(count):
        sample = []
        for t in outputs:
            sample.append(np.frombuffer(raw, dtype=t.dtype, count=t.size, offset=pos).reshape(t.shape).copy())
            pos += t.nbytes
        results.append(sample)
    return results


def compare(program: Program, ours: list[list[np.ndarray]], reference: list[list[np.ndarray]]) -> list[OutputReport]:
    """Per output of the model, the largest difference over the samples (ours already in the
    model's own output types)."""
    reports = []
    for i, t in enumerate(model_outputs(program.graph)):
        diffs = [np.abs(np.asarray(o[i], np.float64) - np.asarray(r[i], np.float64).reshape(t.shape)).max(initial=0)
                 for o, r in zip(ours, reference)]
        worst = max(diffs, default=0.0)
        reports.append(OutputReport(t.name, list(t.shape), t.dtype, int(worst) if worst == int(worst) else worst,
                                    sum(d > 0 for d in diffs)))
    return reports


def validate(model: str | Path, samples: int = 20, input_files: tuple = (), seed: int = 0,
             program: Program | None = None, board=None, progress=None) -> Report:
    """`program` (by default the model compiled with the reference kernels, layer by layer) built
    for the host, or for an emulated `board` and run in QEMU, against TFLite Micro."""
    model = Path(model)
    program = program or compile_model(model)
    graph = program.graph
    inputs = random_inputs(graph, samples, seed) + load_inputs(graph, input_files)
    fed = [to_program_inputs(graph, sample) for sample in inputs]
    if board is not None and not board.is_host:
        from tinygen.emulation import run_emulated

        ours, _ = run_emulated(program, board, fed, profile=False, progress=progress)
    else:
        with tempfile.TemporaryDirectory(prefix="tinygen-validate-") as tmp:
            ours = run_host(build_host(program, Path(tmp)), program, fed)
    reference = run_tflm(model, inputs, len(graph.outputs))
    outputs = compare(program, [to_model_outputs(graph, sample) for sample in ours], reference)
    worst = max((o.max_abs_diff for o in outputs), default=0)
    return Report(str(model), len(inputs), worst, outputs, program.plan.arena_bytes, program.patch)
