"""Bit-exactness check: the generated C, built for the host, against TFLite Micro on the same inputs.

The inputs run in sequences of `steps` invokes: each sequence starts from the reset state and
goes through one model instance (ours and TFLM's interpreter alike), so a model with state
carries it from step to step and every step's outputs are compared. A stateless model runs
sequences of one step (which is the same as no sequences at all)."""
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
from tinygen.inputs import join_inputs, load_inputs, random_inputs, split_outputs

from tinygen.passes.int8_io import model_outputs, to_model_outputs, to_program_inputs
from tinygen.oracle import run_tflm



@dataclass
class OutputReport:
    name: str
    shape: list[int]
    dtype: str
    max_abs_diff: float
    mismatched_samples: int


STATEFUL_STEPS = 10  # the default sequence length for a model with state


@dataclass
class Report:
    model: str
    samples: int  # invokes compared, all steps of all sequences
    max_abs_diff: float
    outputs: list[OutputReport] = field(default_factory=list)
    arena_bytes: int = 0
    patch: dict | None = None  # the patch-based stage of the code checked, if any
    steps: int = 1  # invokes per sequence (from the reset state, through one model instance)
    sequences: int = 0
    state_bytes: int = 0  # the model's persistent state

    @property
    def exact(self) -> bool:
        return self.max_abs_diff == 0


def build_host(program: Program, build_dir: Path, sanitize: bool = False) -> Path:
    """Generate the model with the host runner into build_dir and compile it (with `sanitize`,
    under ASan and UBSan); returns the executable."""
    needs = build_needs(program)
    codegen.render(program, build_dir, host_build=needs)
    return build_host_runner(build_dir, needs, sanitize)


def default_steps(program: Program) -> int:
    """How many invokes in a row validate compares by default: a sequence for a model with state."""
    return STATEFUL_STEPS if program.state_bytes else 1


def run_host(exe: Path, program: Program, samples: list[list[np.ndarray]], steps: int = 0) -> list[list[np.ndarray]]:
    """The samples through the host runner, one model instance, in order; with steps > 0 its state
    is reset before every steps-th sample."""
    result = subprocess.run([str(exe), str(steps)], input=join_inputs(samples, program.graph.inputs),
                            capture_output=True, env=runner_environment())
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
             progress=None, preprocess: dict | None = None, link=None, steps: int | None = None) -> Report:
    """`program`, compiled from `model`, against TFLite Micro: built for the host, or for an
    emulated board (its target) and run in QEMU. The random samples, then the input files, run
    in sequences of `steps` invokes (default_steps when None), each from the reset state."""
    graph = program.graph
    inputs = random_inputs(graph, samples, seed) + load_inputs(graph, input_files, preprocess)
    return validate_on(model, program, inputs, progress, link, steps)[0]


def validate_on(model: str | Path, program: Program, inputs: list[list[np.ndarray]], progress=None, link=None,
                steps: int | None = None) -> tuple[Report, list[list[np.ndarray]]]:
    """validate() on these samples of the model's inputs; also returns the generated code's
    outputs, in the model's own output types."""
    graph = program.graph
    steps = default_steps(program) if steps is None else steps
    if steps < 1:
        raise TinygenError(f"steps must be at least 1, not {steps}")
    ours = [to_model_outputs(graph, sample) for sample in run_program(program, inputs, progress, link, steps)]
    reference = run_tflm(Path(model), inputs, len(graph.outputs), steps)
    outputs = compare(program, ours, reference)
    worst = max((o.max_abs_diff for o in outputs), default=0)
    return Report(str(model), len(inputs), worst, outputs, program.plan.arena_bytes, program.patch, steps,
                  -(-len(inputs) // steps), program.state_bytes), ours


def run_program(program: Program, inputs: list[list[np.ndarray]], progress=None, link=None,
                steps: int = 0) -> list[list[np.ndarray]]:
    """The generated code's outputs for samples of the model's inputs, on the program's target:
    built for the host, for an emulated board and run in QEMU, or for a real board and served
    over `link` (a tinygen.firmware.serving.SerialLink; default: flashed, on the only port).
    One model instance takes them in order, its state reset before every steps-th (never with 0)."""
    fed = [to_program_inputs(program.graph, sample) for sample in inputs]
    target = program.target
    if target.is_host:
        with tempfile.TemporaryDirectory(prefix="tinygen-validate-") as tmp:
            return run_host(build_host(program, Path(tmp)), program, fed, steps)
    if target.emulator:
        from tinygen.emulation import run_emulated

        return run_emulated(program, target, fed, profile=False, progress=progress, sequence=steps)[0]
    if program.state_bytes and 0 < steps < len(fed):
        raise TinygenError(f"on {target.name} the inputs run as one sequence (the serial protocol does not reset "
                           f"the model's state): give at most --steps ({steps}) inputs, or --steps {len(fed)}")
    from tinygen.firmware.serving import SerialLink, board_answers

    requests = [join_inputs([sample], program.graph.inputs) for sample in fed]
    answers = board_answers(program, target, requests, fed[0], link or SerialLink(), progress)
    return [split_outputs(a.outputs, program.graph.outputs, 1, target.name)[0] for a in answers]
