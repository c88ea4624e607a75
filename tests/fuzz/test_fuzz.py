"""The fuzz tier: mutants of real and built models through every command, as a careless or hostile
user would feed them. Each must be compiled (exit 0) or refused in one line (exit 2): no
traceback, no internal error, no hang, no partial output directory. The C of a mutant that
`generate` accepts must run clean under AddressSanitizer and UndefinedBehaviorSanitizer and match
TFLite Micro wherever TFLM runs the mutant; where the two disagree on running a mutant at all,
the reason must be one of those explained in campaign.py.

CI runs a few hundred mutants (`-m fuzz` selects this tier); `benchmarks/fuzz.py --mutants 10000`
is the longer campaign, with the same mutants for the same seed.
"""
from __future__ import annotations

import shutil
from concurrent.futures import ThreadPoolExecutor

import pytest

from campaign import (TFLM_STRICTER, TINYGEN_STRICTER, Tally, explain, run_command, sanitized_run, seed_models,
                      small_seeds, tflm_refusal, try_mutant)
from mutate import Mutator

SEED = 0
TIMEOUT = 60.0  # seconds per command; the slowest real model compiles in a few
IN_PROCESS = range(0, 300)
SUBPROCESSES = range(300, 312)
SANITIZED = 6  # accepted mutants of the small seeds run under the sanitizers, the first ones from index 1000
SMALL_SEED_BYTES = 64 << 10  # the sanitized build of a larger model's weights takes tens of seconds
# (the shared models themselves run under the sanitizers in tests/models/test_sanitizers.py)
AGREEMENT = range(2000, 2024)  # mutants tinygen refuses, run by TFLM too


@pytest.fixture(scope="module")
def seeds(tmp_path_factory) -> dict[str, bytes]:
    return seed_models(tmp_path_factory.mktemp("seeds"))


@pytest.fixture(scope="module")
def mutator(seeds) -> Mutator:
    return Mutator(seeds, SEED)


def _report(tally: Tally) -> str:
    shown = "\n".join(f"  {name}: {o.command} {o.kind}: {o.detail} {o.partial or ''}" for name, o in tally.findings[:12])
    return f"{len(tally.findings)} findings\n{tally.table()}\n{shown}"


def test_mutants_in_process(mutator, tmp_path):
    tally = Tally()
    for index in IN_PROCESS:
        mutant = mutator.mutant(index)
        _, outcomes = try_mutant(mutant.data, tmp_path / "m", True, TIMEOUT, simulate_accepted=index % 25 == 0)
        for outcome in outcomes:
            tally.add(mutant.name, outcome)
    assert not tally.findings, _report(tally)
    assert tally.counts[("generate", "accepted")] and tally.counts[("generate", "refused")], tally.table()


def test_mutants_as_subprocesses(mutator, tmp_path):
    """As a user runs them: `python -m tinygen ...`, each with a timeout, two at a time."""
    def run(index: int):
        mutant = mutator.mutant(index)
        _, outcomes = try_mutant(mutant.data, tmp_path / str(index), False, TIMEOUT, simulate_accepted=False)
        shutil.rmtree(tmp_path / str(index))
        return mutant.name, outcomes

    tally = Tally()
    with ThreadPoolExecutor(2) as pool:
        for name, outcomes in pool.map(run, SUBPROCESSES):
            for outcome in outcomes:
                tally.add(name, outcome)
    assert not tally.findings, _report(tally)


def test_accepted_mutants_run_clean_and_match_tflm(seeds, tmp_path):
    mutator = Mutator(small_seeds(seeds, SMALL_SEED_BYTES), SEED)
    runs = []
    index = 1000
    while len(runs) < SANITIZED:
        assert index < 1400, f"only {len(runs)} of 400 mutants accepted"
        mutant = mutator.mutant(index)
        model, outcomes = try_mutant(mutant.data, tmp_path / "m", True, TIMEOUT, simulate_accepted=False)
        generated = next(o for o in outcomes if o.command == "generate")
        if generated.kind == "accepted":
            runs.append((mutant.name, sanitized_run(tmp_path / "m" / "out", model, 3, index, TIMEOUT)))
        index += 1
    failed = [(name, run) for name, run in runs if not run.fine]
    assert not failed, failed
    # Where TFLM refuses a mutant tinygen compiles, the reason is a known one.
    unexplained = [(name, run.tflm) for name, run in runs
                   if run.tflm.startswith("refused") and explain(TFLM_STRICTER, run.tflm) is None]
    assert not unexplained, unexplained


def test_refusals_tflm_does_not_share_are_explained(mutator, tmp_path):
    unexplained = []
    for index in AGREEMENT:
        mutant = mutator.mutant(index)
        model = tmp_path / "mutant.tflite"
        model.write_bytes(mutant.data)
        outcome = run_command("generate", model, tmp_path / "out", True, TIMEOUT)
        shutil.rmtree(tmp_path / "out", ignore_errors=True)
        if outcome.kind == "refused" and tflm_refusal(model, TIMEOUT) is None:
            if explain(TINYGEN_STRICTER, outcome.detail) is None:
                unexplained.append((mutant.name, outcome.detail))
    assert not unexplained, unexplained
