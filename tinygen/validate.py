"""Bit-exactness check: the generated C, built for the host, against TFLite Micro on the same inputs."""
from __future__ import annotations

import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from tinygen import codegen
from tinygen.backends import build_needs
from tinygen.compiler import Program
from tinygen.errors import TinygenError
from tinygen.toolchain import build_host_runner, runner_environment
from tinygen.inputs import load_inputs, random_inputs, split_outputs

from tinygen.passes.int8_io import model_outputs, to_model_outputs, to_program_inputs
from tinygen.oracle import run_tflm



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


def build_host(program: Program, build_dir: Path, sanitize: bool = False) -> Path:
    """Generate the model with the host runner into build_dir and compile it (with `sanitize`,
    under ASan and UBSan); returns the executable."""
    needs = build_needs(program)
    codegen.render(program, build_dir, host_build=needs)
    return build_host_runner(build_dir, needs, sanitize)


def run_host(exe: Path, program: Program, samples: list[list[np.ndarray]]) -> list[list[np.ndarray]]:
    stdin = b"".join(np.ascontiguousarray(x, dtype=t.dtype).tobytes()
                     for sample in samples for x, t in zip(sample, program.graph.inputs))
    result = subprocess.run([str(exe)], input=stdin, capture_output=True, env=runner_environment())
    if result.returncode != 0:
        report = result.stderr.decode(errors="replace").splitlines()
        finding = next((line for line in report if "runtime error" in line or "Sanitizer" in line), None)
        raise TinygenError(f"the generated model crashed on the host (exit {result.returncode})"
                           + (f": {finding.strip()}" if finding else ""))
    return split_outputs(result.stdout, program.graph.outputs, len(samples), "the generated model")


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


def validate(model: str | Path, program: Program, samples: int = 20, input_files: tuple = (), seed: int = 0,
             progress=None, preprocess: dict | None = None) -> Report:
    """`program`, compiled from `model`, against TFLite Micro: built for the host, or for an
    emulated board (its target) and run in QEMU."""
    model = Path(model)
    graph = program.graph
    inputs = random_inputs(graph, samples, seed) + load_inputs(graph, input_files, preprocess)
    fed = [to_program_inputs(graph, sample) for sample in inputs]
    if not program.target.is_host:
        from tinygen.emulation import run_emulated

        ours, _ = run_emulated(program, program.target, fed, profile=False, progress=progress)
    else:
        with tempfile.TemporaryDirectory(prefix="tinygen-validate-") as tmp:
            ours = run_host(build_host(program, Path(tmp)), program, fed)
    reference = run_tflm(model, inputs, len(graph.outputs))
    outputs = compare(program, [to_model_outputs(graph, sample) for sample in ours], reference)
    worst = max((o.max_abs_diff for o in outputs), default=0)
    return Report(str(model), len(inputs), worst, outputs, program.plan.arena_bytes, program.patch)
