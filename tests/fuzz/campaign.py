"""The fuzz tier's engine (used by test_fuzz.py and benchmarks/fuzz.py): the seed models, running
mutants through tinygen's commands and sorting what happened, the sanitized run of an accepted
mutant's C against TFLite Micro, and why tinygen and TFLM may disagree on running a mutant.

A command may accept a mutant (exit 0) or refuse it with one line (exit 2); anything else is a
finding: a check failing (1) where no check was asked for, an internal error (3), a traceback,
a hang, a refusal of more than one line, or files left behind by a command that failed.
In process the commands run through `tinygen.cli.main` (fast: no interpreter start-up, nothing
imported twice); as subprocesses they run as a user runs them, `python -m tinygen`.
"""
from __future__ import annotations

import contextlib
import io
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import traceback
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from helpers import EXAMPLE, REPO, SHARED_MODELS, Spec, single_op_model

COMMANDS = {
    "inspect": ["inspect", "--json", "{model}"],
    "simulate": ["simulate", "--json", "{model}"],
    "generate": ["generate", "{model}", "-o", "{out}"],
}
FINE = {"accepted", "refused"}


# --- seeds ------------------------------------------------------------------------------------

def _q(shape, scale=0.05, zp=0) -> Spec:
    return Spec(tuple(shape), "int8", scale, zp)


def _weights(shape, seed: int) -> Spec:
    return Spec(tuple(shape), "int8", 0.02, 0, np.random.default_rng(seed).integers(-127, 128, shape).astype(np.int8))


# Single-op models for op families the real models lack, so that mutations reach every op's
# declared operands.
BUILT = {
    "add_relu6": lambda p: single_op_model(p, "ADD", [_q((1, 4, 4, 8), 0.05, 3), _q((1, 1, 1, 8), 0.1, -2)],
                                           _q((1, 4, 4, 8), 0.08, -5), activation="RELU6"),
    "mul_broadcast": lambda p: single_op_model(p, "MUL", [_q((2, 3, 4), 0.1, 1), _q((1, 3, 1), 0.05, -3)],
                                               _q((2, 3, 4), 0.02, 4)),
    "leaky_relu": lambda p: single_op_model(p, "LEAKY_RELU", [_q((1, 16), 0.1, 2)], _q((1, 16), 0.07, -1),
                                            alpha=0.2),
    "quantize_float": lambda p: single_op_model(p, "QUANTIZE", [Spec((1, 10), "float32")], _q((1, 10), 0.03, 5)),
    "dequantize": lambda p: single_op_model(p, "DEQUANTIZE", [_q((1, 10), 0.03, 5)], Spec((1, 10), "float32")),
    "maximum": lambda p: single_op_model(p, "MAXIMUM", [_q((1, 4, 6)), _q((1, 1, 6))], _q((1, 4, 6))),
    "prelu": lambda p: single_op_model(p, "PRELU", [_q((1, 3, 3, 4), 0.1, 0), _weights((1, 1, 4), 1)],
                                       _q((1, 3, 3, 4), 0.1, 0)),
    "sum_axes": lambda p: single_op_model(p, "SUM", [_q((1, 4, 5, 3), 0.1, 1), np.array([1, 2], np.int32)],
                                          _q((1, 3), 0.5, 0), keepDims=False),
    "batch_matmul": lambda p: single_op_model(p, "BATCH_MATMUL", [_q((2, 3, 4), 0.1, 0), _q((2, 4, 5), 0.1, 0)],
                                              _q((2, 3, 5), 0.2, 0)),
    "transpose_conv": lambda p: single_op_model(
        p, "TRANSPOSE_CONV", [np.array([1, 4, 4, 2], np.int32), _weights((2, 3, 3, 3), 2), _q((1, 2, 2, 3), 0.1, 0)],
        _q((1, 4, 4, 2), 0.3, 0), padding=0, strideW=2, strideH=2),
    "l2_norm": lambda p: single_op_model(p, "L2_NORMALIZATION", [_q((1, 2, 8), 0.1, 0)], _q((1, 2, 8), 1 / 128, 0)),
    "pad": lambda p: single_op_model(p, "PAD", [_q((1, 3, 3, 2)), np.array([[0, 0], [1, 1], [2, 0], [0, 0]], np.int32)],
                                     _q((1, 5, 5, 2))),
    "transpose": lambda p: single_op_model(p, "TRANSPOSE", [_q((2, 3, 4)), np.array([2, 0, 1], np.int32)],
                                           _q((4, 2, 3))),
    "gather": lambda p: single_op_model(p, "GATHER", [_q((5, 3)), np.array([4, 0, 2], np.int32)], _q((3, 3))),
    "slice": lambda p: single_op_model(p, "SLICE", [_q((3, 4, 5)), np.array([1, 0, 2], np.int32),
                                                    np.array([2, -1, 3], np.int32)], _q((2, 4, 3))),
    "abs": lambda p: single_op_model(p, "ABS", [_q((1, 32), 0.04, 3)], _q((1, 32), 0.03, -100)),
}


def seed_models(directory: Path) -> dict[str, bytes]:
    """Every seed by name: the example, the shared real models (where ../shared holds them) and
    the built single-op models."""
    directory.mkdir(parents=True, exist_ok=True)
    seeds = {"tiny_cnn": EXAMPLE.read_bytes()}
    seeds.update({p.stem: p.read_bytes() for p in SHARED_MODELS})
    seeds.update({name: build(directory / f"{name}.tflite").read_bytes() for name, build in BUILT.items()})
    return seeds


def small_seeds(seeds: dict[str, bytes], limit: int) -> dict[str, bytes]:
    """The seeds of at most `limit` bytes: their mutants build quickly under the sanitizers."""
    return {name: data for name, data in seeds.items() if len(data) <= limit}


# --- running commands -------------------------------------------------------------------------

class Hang(BaseException):
    """A command ran past its time (a BaseException, so that tinygen's own handlers let it through)."""


@dataclass
class Outcome:
    command: str
    kind: str  # accepted, refused, check failed, internal error, traceback, hang, noisy refusal
    detail: str = ""  # the refusal, or where the failure came from
    partial: list[str] = field(default_factory=list)  # files a failed command left behind

    @property
    def fine(self) -> bool:
        return self.kind in FINE and not self.partial


def _kind(command: str, code: int | None, stdout: str, stderr: str) -> str:
    if "Traceback (most recent call last)" in stderr:
        return "traceback"
    lines = stderr.strip().splitlines()
    if code == 2 and command == "inspect" and not lines:
        return "refused" if '"supported": false' in stdout else "noisy refusal"  # the listing says why
    if code == 2:
        return "refused" if len(lines) == 1 and lines[0].startswith("tinygen: error:") else "noisy refusal"
    return {0: "accepted", 1: "check failed", 3: "internal error"}.get(code, f"exit {code}")


def _in_process(args: list[str], timeout: float) -> tuple[int | None, str, str]:
    from tinygen.cli import main

    def expire(signum, frame):
        raise Hang()

    stdout, stderr = io.StringIO(), io.StringIO()
    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, timeout)
    argv = sys.argv
    sys.argv = ["tinygen", *args]
    try:
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            main()
        code = 0
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    except Hang:
        code = None
    except Exception:  # noqa: BLE001 - an exception out of main() is what this looks for
        code, stderr = None, io.StringIO(stderr.getvalue() + traceback.format_exc())
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        sys.argv = argv
    return code, stdout.getvalue(), stderr.getvalue()


def _subprocess(args: list[str], timeout: float) -> tuple[int | None, str, str]:
    path = os.pathsep.join([str(REPO)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p])
    try:
        result = subprocess.run([sys.executable, "-m", "tinygen", *args], capture_output=True, text=True,
                                timeout=timeout, env={**os.environ, "PYTHONPATH": path})
    except subprocess.TimeoutExpired:
        return None, "", ""
    return result.returncode, result.stdout, result.stderr


def run_command(command: str, model: Path, out: Path, in_process: bool, timeout: float) -> Outcome:
    """One command on one model file; `out` (for generate) must not exist yet."""
    args = [a.format(model=model, out=out) for a in COMMANDS[command]]
    before = set(os.listdir(model.parent))
    code, stdout, stderr = (_in_process if in_process else _subprocess)(args, timeout)
    kind = "hang" if code is None and "Traceback" not in stderr else _kind(command, code, stdout, stderr)
    left = sorted(set(os.listdir(model.parent)) - before - ({out.name} if kind == "accepted" else set()))
    return Outcome(command, kind, _detail(kind, stderr), left)


def _detail(kind: str, stderr: str) -> str:
    lines = stderr.strip().splitlines()
    if kind == "traceback":
        frames = [line.strip() for line in lines if line.strip().startswith("File ")]
        return f"{lines[-1] if lines else '?'} at {frames[-1] if frames else '?'}"
    return lines[-1] if lines else ""


@dataclass
class Tally:
    """Outcomes counted per command and kind, with the findings kept for the report."""
    counts: Counter = field(default_factory=Counter)
    findings: list[tuple[str, Outcome]] = field(default_factory=list)

    def add(self, mutant_name: str, outcome: Outcome) -> None:
        self.counts[(outcome.command, outcome.kind)] += 1
        if outcome.partial:
            self.counts[(outcome.command, "partial directory")] += 1
        if not outcome.fine:
            self.findings.append((mutant_name, outcome))

    def total(self, kind: str) -> int:
        return sum(n for (_, k), n in self.counts.items() if k == kind)

    def table(self) -> str:
        kinds = sorted({k for _, k in self.counts})
        commands = sorted({c for c, _ in self.counts})
        rows = [f"{'command':10}" + "".join(f"{k:>18}" for k in kinds)]
        rows += [f"{c:10}" + "".join(f"{self.counts[(c, k)]:>18,}" for k in kinds) for c in commands]
        return "\n".join(rows)


def try_mutant(data: bytes, workdir: Path, in_process: bool, timeout: float, simulate_accepted: bool = True
               ) -> tuple[Path, list[Outcome]]:
    """The mutant written to workdir/mutant.tflite and run through inspect, generate and simulate;
    a generate that succeeded leaves its directory at workdir/out. With simulate_accepted off,
    simulate runs only on mutants generate refused: on the others its part after compiling is
    measuring flash, which builds the same C the sanitized run builds, and takes seconds."""
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    model = workdir / "mutant.tflite"
    model.write_bytes(data)
    outcomes = [run_command(c, model, workdir / "out", in_process, timeout) for c in ("inspect", "generate")]
    if simulate_accepted or outcomes[-1].kind != "accepted":
        outcomes.append(run_command("simulate", model, workdir / "out", in_process, timeout))
    return model, outcomes


# --- an accepted mutant's C under the sanitizers, against TFLM ---------------------------------

@dataclass
class SanitizedRun:
    kind: str  # clean, or the sanitizer's report / the failure
    tflm: str = ""  # identical, differs, or "refused: why"

    @property
    def fine(self) -> bool:
        return self.kind == "clean" and self.tflm != "differs"


def sanitized_run(project: Path, model: Path, samples: int, seed: int, timeout: float) -> SanitizedRun:
    """The host runner `generate` wrote to `project`, built with clang's AddressSanitizer and
    UndefinedBehaviorSanitizer (tinygen.toolchain's flags: any report aborts the run), on random
    inputs; its outputs against TFLM's on the same inputs, where TFLM runs the mutant."""
    from tinygen.backends import build_needs
    from tinygen.compiler import compile_model
    from tinygen.errors import TinygenError
    from tinygen.inputs import random_inputs
    from tinygen.oracle import run_tflm
    from tinygen.options import DEFAULT
    from tinygen.passes.int8_io import to_model_outputs, to_program_inputs
    from tinygen.toolchain import build_host_runner
    from tinygen.validate import run_host

    program = compile_model(model, DEFAULT)  # what generate compiled
    inputs = random_inputs(program.graph, samples, seed)
    try:
        exe = build_host_runner(project, build_needs(program), sanitize=True)
        ours = [to_model_outputs(program.graph, o) for o in
                run_host(exe, program, [to_program_inputs(program.graph, s) for s in inputs])]
    except TinygenError as e:
        return SanitizedRun(str(e))
    try:
        reference = run_tflm(model, inputs, len(ours[0]), timeout=timeout)
    except TinygenError:
        return SanitizedRun("clean", f"refused: {tflm_refusal(model, timeout)}")
    same = all(np.asarray(r).size == np.asarray(o).size and np.array_equal(np.asarray(o).ravel(), np.asarray(r).ravel())
               for o_sample, r_sample in zip(ours, reference) for o, r in zip(o_sample, r_sample))
    return SanitizedRun("clean", "identical" if same else "differs")


TFLM_PROBE = """
import sys
import numpy as np
from tflite_micro.python.tflite_micro import runtime
interpreter = runtime.Interpreter.from_file(sys.argv[1], arena_size=64 << 20)
index = 0
while True:
    try:
        details = interpreter.get_input_details(index)
    except IndexError:
        break
    interpreter.set_input(np.zeros(details["shape"], details["dtype"]), index)
    index += 1
interpreter.invoke()
"""


def tflm_refusal(model: Path, timeout: float) -> str | None:
    """Why TFLM cannot run the model (its last line of complaint, or how it died), or None when
    it loads and invokes it; in a child process, since TFLM aborts on some models."""
    try:
        result = subprocess.run([sys.executable, "-c", TFLM_PROBE, str(model)], capture_output=True, text=True,
                                timeout=timeout, cwd=tempfile.gettempdir())
    except subprocess.TimeoutExpired:
        return f"no answer within {timeout:g} s"
    if result.returncode == 0:
        return None
    said = [line.strip() for line in (result.stdout + result.stderr).splitlines()
            if line.strip() and not line.startswith(" ") and not line.startswith("Traceback")]
    return " / ".join(said)[-400:] or f"exit {result.returncode}"


# --- where tinygen and TFLM disagree on running a mutant at all, and why ------------------------
#
# "TFLM runs it" means its Python runtime loads the mutant and invokes it on zero inputs without an
# error: it verifies neither the flatbuffer nor most of what its kernels assume, so a model it runs
# may be read out of bounds or computed from garbage, silently. Each pattern matches tinygen's
# refusal (or TFLM's, for the other table); a disagreement no pattern explains fails the fuzz tier.

# tinygen refuses, TFLM runs it anyway.
TINYGEN_STRICTER = {
    r"not a valid TFLite model":
        "a corrupt file (identifier, vtables, vectors past the end, indices or buffer sizes out of range): TFLM's "
        "runtime does not verify the flatbuffer and reads whatever lies there",
    r"has type code \d+, which tinygen does not support":
        "a tensor type without a C type; TFLM keeps it as long as no kernel looks at it",
    r"zero point -?\d+, outside":
        "TFLM truncates the zero point to the tensor's type without a check",
    r"\d+ scales and \d+ zero points":
        "TFLM reads one zero point per scale, past the end of the shorter vector",
    r"has scale .*; scales must be finite and within":
        "TFLM's float32 Prepare arithmetic overflows to infinity there, and its conversion to int is undefined",
    r"beyond TFLM's fixed-point range|quantization constant overflows":
        "the scales are so far apart that TFLM's requantization shifts past int32 (undefined behaviour)",
    r"the model (has no (inputs|outputs)|lists a tensor twice)|is a constant$|is no tensor":
        "TFLM runs a graph without inputs, with one twice or with a constant input, on whatever the arena holds",
    r"reads (its own output|.* before .* writes it|.*, which no op writes)|already written by|writes .*, which is a "
    r"constant|no op writes the model's output":
        "the graph is not a DAG in execution order: TFLM reads uninitialised arena memory or overwrites a result",
    r"has \d+ inputs; it takes at most|lacks its input|has \d+ outputs; it writes one|has (no outputs|a missing output)":
        "TFLM's kernels index their inputs and outputs without checking how many there are",
    r"has rank \d+; it must be|must be a constant|per-channel scales for|has \d+ values; the op has|must be int":
        "TFLM's kernels assume that rank, type, constness or length without checking it, and read past the tensor",
    r"option \w+ is .*; it must be|unknown \w+ code|axis -?\d+ is out of range|reaches beyond int32":
        "TFLM divides by, loops over or indexes with the option without a check (or maps an unknown enum to a "
        "default)",
    r"the model says output shape|do not broadcast|do not fit together|cannot be stacked|paddings of shape|"
    r"is not a permutation|are outside|is not rows of|do not fit block_size|output channels are not|"
    r"does not match|do not fit|is not the gathered shape|cannot be viewed as":
        "the stored shapes contradict what the op computes: TFLM's kernel writes what it computes, past or short "
        "of the buffer",
    r"above tinygen's limit|an empty activation|has rank \d+; TFLM supports at most|dynamic shape":
        "beyond any microcontroller's memory and int32 index arithmetic, or no data at all; TFLM fails later, or "
        "not at all",
    r"supported for int8 only|has no quantization|per.channel|weights must be symmetric|is not supported|"
    r"supported: |supported here|unsupported op|must have|quantized differently|quantization differ|"
    r"TFLM requires|too small for|only 0\)|must hold|must be one|int8 only|float model|TFLM supports|"
    r"TFLite Micro|a fused activation|refused by TFLM|TFLM refuses":
        "a model outside what tinygen compiles (int8 kernels, with TFLM's own constraints on their operands): a "
        "mutated type or scale TFLM's kernel does not check, or a kernel TFLM has and tinygen has not",
}

# tinygen compiles it, TFLM refuses to run it.
TFLM_STRICTER = {
    r"InitFromObj|_UnPack|struct\.error|unpack_from|UnicodeDecodeError":
        "TFLM's Python runtime unpacks the whole model, metadata and signatures included, which tinygen does not "
        "read: a mutation there breaks only TFLM",
}


def explain(table: dict, message: str) -> str | None:
    return next((reason for pattern, reason in table.items() if re.search(pattern, message)), None)
