"""Step 1, search-space optimization (as in MCUNet): which width multiplier and input resolution
give the networks that fit the budget the most compute.

For every (width, resolution) pair, sample architectures uniformly from the space, ask the
planner whether each fits (peak SRAM with patch-based inference considered, flash, latency)
and collect the MACs of those that do. The pair whose fitting networks have the largest mean
MACs wins (more compute within the same memory tends to mean more accuracy); a pair must
have at least a tenth of its samples (and at least 3) fitting to be chosen, so the later
evolutionary search has room to work. Pairs whose smallest network does not fit are dropped
after one check. No TensorFlow; the samples are spread over worker processes (forked).
"""
from __future__ import annotations

import os
import random
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass

import numpy as np

from tinygen.nas.graph import Evaluator
from tinygen.nas.space import Measured, SearchSpace, percentile, sample, smallest

MIN_FIT_FRACTION = 0.1
MIN_FIT_COUNT = 3


@dataclass(frozen=True)
class Budget:
    sram: int | None
    flash: int | None
    latency: float | None


# One evaluator per (width, resolution) in each worker process: their stage caches are reused.
_EVALUATORS: dict = {}


def _evaluator(space: SearchSpace, classes: int, channels: int, board, budget: Budget, code) -> Evaluator:
    key = (space, classes, channels, board.name, budget, tuple(sorted(code.to_dict().items())))
    if key not in _EVALUATORS:
        _EVALUATORS[key] = Evaluator(space, classes, channels, board, budget.sram, budget.flash, budget.latency, code)
    return _EVALUATORS[key]


def arch_seed(seed: int, width: float, resolution: int, index: int) -> int:
    """A seed per sample that depends on nothing but the sample's place, so results do not depend
    on which worker ran what."""
    return hash((seed, round(width * 1000), resolution, index)) & 0x7FFFFFFF


def _check(job) -> dict:
    space, classes, channels, board, budget, code, width, resolution, index, seed = job
    evaluator = _evaluator(space, classes, channels, board, budget, code)
    if index < 0:
        arch = smallest(space, width, resolution)
    else:
        arch = sample(space, width, resolution, random.Random(arch_seed(seed, width, resolution, index)))
    m = evaluator.check(arch)
    return {"width": width, "resolution": resolution, "index": index, **m.to_dict()}


class _Serial:
    """The executor interface, in this process (one worker, or where processes are unwelcome)."""

    def submit(self, fn, job):
        from concurrent.futures import Future

        f = Future()
        f.set_result(fn(job))
        return f

    def shutdown(self, **_):
        pass


def explore(space: SearchSpace, classes: int, channels: int, board, budget: Budget, code, seed: int,
            seconds: float | None, samples: int | None, workers: int | None = None, progress=None,
            done: list | None = None) -> dict:
    """Sample every (width, resolution) of `space` until `samples` per pair are checked (when
    given) or `seconds` have passed. `done` holds results of an interrupted earlier run.
    Returns the table, the chosen pair and its fitting samples (the pool)."""
    start = time.monotonic()
    pairs = [(w, r) for w in space.widths for r in space.resolutions]
    results: list[dict] = list(done or [])
    seen = {(d["width"], d["resolution"], d["index"]) for d in results}
    workers = workers or min(2, os.cpu_count() or 1)
    context = _fork()
    pool = ProcessPoolExecutor(workers, mp_context=context) if workers > 1 and context else _Serial()
    job = lambda w, r, i: (space, classes, channels, board, budget, code, w, r, i, seed)  # noqa: E731
    try:
        # the smallest network of each pair first: a pair where even that does not fit is dropped
        pending = [pool.submit(_check, job(w, r, -1)) for w, r in pairs if (w, r, -1) not in seen]
        for f in as_completed(pending):
            results.append(f.result())
            if progress:
                progress(len(results), time.monotonic() - start)
        feasible = [(w, r) for w, r in pairs
                    if any(d["fits"] for d in results if (d["width"], d["resolution"], d["index"]) == (w, r, -1))]
        index = {pair: sum(1 for d in results if (d["width"], d["resolution"]) == pair and d["index"] >= 0)
                 for pair in feasible}
        in_flight = {}

        def more() -> bool:
            if samples is not None:
                return any(index[p] < samples for p in feasible)
            return seconds is None or time.monotonic() - start < seconds

        def submit_next():
            pair = min(feasible, key=lambda p: (index[p], pairs.index(p)))
            if samples is not None and index[pair] >= samples:
                return False
            in_flight[pool.submit(_check, job(*pair, index[pair]))] = pair
            index[pair] += 1
            return True

        if feasible:
            for _ in range(2 * workers):
                if not more() or not submit_next():
                    break
            while in_flight:
                finished = next(as_completed(list(in_flight)))
                in_flight.pop(finished)
                results.append(finished.result())
                if progress:
                    progress(len(results), time.monotonic() - start)
                if more():
                    submit_next()
    finally:
        pool.shutdown(cancel_futures=True)
    return summarize(space, results, budget) | {"seconds": round(time.monotonic() - start, 1)}


def summarize(space: SearchSpace, results: list[dict], budget: Budget) -> dict:
    table = []
    for w in space.widths:
        for r in space.resolutions:
            mine = [d for d in results if d["width"] == w and d["resolution"] == r]
            sampled = [d for d in mine if d["index"] >= 0]
            first = next((d for d in mine if d["index"] < 0), None)
            fitting = [d["macs"] for d in sampled if d["fits"]]
            row = {"width": w, "resolution": r, "smallest_fits": bool(first and first["fits"]),
                   "smallest_peak_sram_bytes": first and first["peak_sram_bytes"],
                   "smallest_flash_bytes_estimate": first and first["flash_bytes_estimate"],
                   "samples": len(sampled), "fitting": len(fitting),
                   "fit_fraction": round(len(fitting) / len(sampled), 3) if sampled else 0.0,
                   "mean_macs_fitting": int(np.mean(fitting)) if fitting else 0,
                   "median_macs_fitting": int(percentile(fitting, 0.5)) if fitting else 0,
                   "p80_macs_fitting": int(percentile(fitting, 0.8)) if fitting else 0,
                   "max_macs_fitting": max(fitting) if fitting else 0}
            row["eligible"] = (row["fitting"] >= MIN_FIT_COUNT and row["fit_fraction"] >= MIN_FIT_FRACTION)
            table.append(row)
    eligible = [row for row in table if row["eligible"]]
    if not eligible:  # few samples fit anywhere: fall back to any pair with a fitting sample
        eligible = [row for row in table if row["fitting"] > 0] or [row for row in table if row["smallest_fits"]]
    chosen = max(eligible, key=lambda row: (row["mean_macs_fitting"], row["fitting"]), default=None)
    pool = []
    if chosen is not None:
        pool = [d for d in results if d["width"] == chosen["width"] and d["resolution"] == chosen["resolution"]
                and d["fits"]]
        pool.sort(key=lambda d: d["index"])
    return {"table": table, "results": results, "chosen": None if chosen is None else
            {"width": chosen["width"], "resolution": chosen["resolution"]},
            "pool": [Measured.from_dict(d).to_dict() for d in pool]}


def _fork():
    """Worker processes by fork, which needs no importable main module (`python -m tinygen` has
    none that is safe to re-run) and is safe while TensorFlow is not loaded; otherwise none."""
    import multiprocessing
    import sys

    if "tensorflow" in sys.modules or "fork" not in multiprocessing.get_all_start_methods():
        return None
    return multiprocessing.get_context("fork")
