"""The long fuzz campaign: mutated models through every command, counted per command and outcome.

    nice python benchmarks/fuzz.py [--mutants 10000] [--subprocesses 1000] [--sanitized 120]
                                   [--sanitized-seed-bytes 65536] [--agreement 300] [--seed 0]
                                   [--workers 2] [--shared DIR]

The same mutator and checks as the CI fuzz tier (tests/fuzz), on more mutants: mutant i is the
same on every run for the same seed. Four parts:
1. --mutants through `inspect --json` and `generate -o DIR` in process (`simulate --json` too
   where generate refuses: on an accepted mutant simulate's extra work is building the same C);
2. --subprocesses more (the following indices) as real `python -m tinygen generate` runs with a
   timeout (every fourth also through `inspect`);
3. the first --sanitized mutants part 1 accepted, of seeds up to --sanitized-seed-bytes (larger
   models take tens of seconds to build so; tests/models/test_sanitizers.py runs them unmutated):
   the project generate wrote built with clang's AddressSanitizer and UndefinedBehaviorSanitizer,
   run on random inputs and compared with TFLM;
4. --agreement mutants part 1 refused, run by TFLM too: where TFLM runs one, tinygen's refusal
   must be one tests/fuzz/campaign.py explains.
It prints the counts and every finding (a traceback, an internal error, a hang, a refusal of more
than one line, a partial directory, a sanitizer report, a difference from TFLM, an unexplained
disagreement); the exit code is 1 when there is any. On 2 shared cores the defaults take about
half an hour.
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from collections import Counter
from multiprocessing import Pool
from pathlib import Path

from models import REPO  # noqa: E402  (beside this script)

_worker: dict = {}


def _import_campaign(shared: Path):
    """The fuzz tier's modules, reading the seeds from `shared` (tests/helpers.py looks there)."""
    os.environ["TINYGEN_SHARED"] = str(shared)
    for path in (REPO / "tests" / "fuzz", REPO / "tests", REPO):
        if str(path) not in sys.path:
            sys.path.insert(0, str(path))
    import campaign
    import mutate

    return campaign, mutate


def _start_worker(root: Path, shared: Path, seed: int, timeout: float) -> None:
    campaign, mutate = _import_campaign(shared)
    work = Path(tempfile.mkdtemp(dir=root))
    _worker.update(campaign=campaign, mutator=mutate.Mutator(campaign.seed_models(work / "seeds"), seed), work=work,
                   timeout=timeout)


def _commands(job: tuple[int, bool]):
    """Mutant `index` through the commands; its name, mutation, outcomes, whether generate accepted
    it, its directory and its seed's size."""
    index, in_process = job
    campaign, mutant = _worker["campaign"], _worker["mutator"].mutant(index)
    workdir = _worker["work"] / f"m{index}"
    if in_process:
        _, outcomes = campaign.try_mutant(mutant.data, workdir, True, _worker["timeout"], simulate_accepted=False)
    else:
        shutil.rmtree(workdir, ignore_errors=True)
        workdir.mkdir(parents=True)
        model = workdir / "mutant.tflite"
        model.write_bytes(mutant.data)
        commands = ["generate"] + (["inspect"] if index % 4 == 0 else [])
        outcomes = [campaign.run_command(c, model, workdir / "out", False, _worker["timeout"]) for c in commands]
    accepted = any(o.command == "generate" and o.kind == "accepted" for o in outcomes)
    return index, mutant.name, mutant.mutation, outcomes, accepted, str(workdir), len(_worker["mutator"].seeds[mutant.seed])


def _sanitized(job: tuple[int, str]):
    index, workdir = job
    run = _worker["campaign"].sanitized_run(Path(workdir) / "out", Path(workdir) / "mutant.tflite", 3, index,
                                            _worker["timeout"])
    shutil.rmtree(workdir, ignore_errors=True)
    return index, run


def _agreement(job: tuple[int, str, str]):
    index, workdir, refusal = job
    tflm = _worker["campaign"].tflm_refusal(Path(workdir) / "mutant.tflite", _worker["timeout"])
    shutil.rmtree(workdir, ignore_errors=True)
    return index, refusal, tflm


def _cleanup(workdir: str) -> None:
    shutil.rmtree(workdir, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mutants", type=int, default=10000, help="in-process mutants (part 1)")
    parser.add_argument("--subprocesses", type=int, default=1000, help="mutants run as subprocesses (part 2)")
    parser.add_argument("--sanitized", type=int, default=120, help="accepted mutants under the sanitizers (part 3)")
    parser.add_argument("--sanitized-seed-bytes", type=int, default=64 << 10,
                        help="part 3 takes mutants of seeds up to this size")
    parser.add_argument("--agreement", type=int, default=300, help="refused mutants also run by TFLM (part 4)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per command before it counts as a hang")
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared", help="holds models/ (default ../shared)")
    args = parser.parse_args()
    # The children (python -m tinygen, the TFLM reference) import tinygen from this checkout too.
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
    with tempfile.TemporaryDirectory(prefix="tinygen-fuzz-") as root:
        findings = _campaign(args, Path(root))
    print(f"\n{len(findings)} findings")
    for name, finding in findings:
        print(f"  {name}: {finding}")
    return 1 if findings else 0


def _campaign(args, root: Path) -> list:
    campaign, _ = _import_campaign(args.shared)
    findings = []
    with Pool(args.workers, _start_worker, (root, args.shared, args.seed, args.timeout)) as pool:
        started = time.monotonic()
        tally, mutations, accepted, refused = campaign.Tally(), Counter(), [], []
        jobs = [(i, True) for i in range(args.mutants)]
        for index, name, mutation, outcomes, ok, workdir, seed_bytes in pool.imap(_commands, jobs, chunksize=8):
            mutations[mutation] += 1
            for outcome in outcomes:
                tally.add(name, outcome)
            generated = next(o for o in outcomes if o.command == "generate")
            if ok and seed_bytes <= args.sanitized_seed_bytes and len(accepted) < args.sanitized:
                accepted.append((index, workdir))
            elif generated.kind == "refused" and len(refused) < args.agreement:
                refused.append((index, workdir, generated.detail))
            else:
                pool.apply_async(_cleanup, (workdir,))
        _print_part(f"1. {args.mutants:,} mutants in process", tally, started)
        print("mutations: " + ", ".join(f"{m} {n:,}" for m, n in sorted(mutations.items())))
        findings += tally.findings

        started = time.monotonic()
        sub = campaign.Tally()
        jobs = [(i, False) for i in range(args.mutants, args.mutants + args.subprocesses)]
        for index, name, _, outcomes, _, workdir, _ in pool.imap(_commands, jobs):
            for outcome in outcomes:
                sub.add(name, outcome)
            pool.apply_async(_cleanup, (workdir,))
        _print_part(f"2. {args.subprocesses:,} mutants as subprocesses (python -m tinygen)", sub, started)
        findings += sub.findings

        started = time.monotonic()
        runs = Counter()
        for index, run in pool.imap(_sanitized, accepted):
            verdict = run.tflm.split(":")[0] if run.tflm else "-"
            runs[(run.kind if run.kind == "clean" else "REPORT", verdict)] += 1
            if not run.fine:
                findings.append((f"mutant {index}", run))
            elif verdict == "refused" and campaign.explain(campaign.TFLM_STRICTER, run.tflm) is None:
                findings.append((f"mutant {index}: TFLM refuses, unexplained", run.tflm))
        print(f"\n3. {len(accepted)} accepted mutants under ASan/UBSan ({time.monotonic() - started:.0f} s)")
        for (kind, verdict), n in sorted(runs.items()):
            print(f"  {kind:8} TFLM {verdict:10} {n:5}")

        started = time.monotonic()
        agreement = Counter()
        for index, refusal, tflm in pool.imap(_agreement, refused):
            if tflm is not None:
                agreement["TFLM refuses too"] += 1
                continue
            reason = campaign.explain(campaign.TINYGEN_STRICTER, refusal)
            agreement[reason or "UNEXPLAINED"] += 1
            if reason is None:
                findings.append((f"mutant {index}: TFLM runs it, unexplained", refusal))
        print(f"\n4. {len(refused)} refused mutants run by TFLM ({time.monotonic() - started:.0f} s)")
        for reason, n in agreement.most_common():
            print(f"  {n:5}  {reason}")
    return findings


def _print_part(title: str, tally, started: float) -> None:
    print(f"\n{title} ({time.monotonic() - started:.0f} s)")
    print(tally.table())
    print(f"tracebacks {tally.total('traceback')}, internal errors {tally.total('internal error')}, "
          f"hangs {tally.total('hang')}, partial directories {tally.total('partial directory')}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
