"""`tinygen search`: pick, train and quantize a network that fits a board's SRAM and flash.

The phases, each checkpointed in OUT/checkpoints (rerunning the same command continues):
1. explore   search-space optimization: the (width, resolution) whose fitting networks have the
             most MACs (tinygen.nas.explore; peak SRAM from tinygen's planner, patch-based
             inference included, for thousands of candidates without TensorFlow)
2. supernet  weight-sharing supernet for that space, trained on a share of the time budget
             (tinygen.nas.supernet, tinygen.nas.train)
3. evolve    evolutionary search over sub-networks that fit (SRAM, flash, optional latency),
             scored by validation accuracy with inherited weights and recalibrated batch norms
4. finetune  the winner as a standalone Keras model, trained further
5. export    int8 TFLite (int8 input and output) -> OUT/model.tflite; its peak SRAM by
             `tinygen simulate`'s planner (checked equal to the search's figure), flash
             measured, bit-exactness with TFLite Micro checked; OUT/report.json, OUT/pareto.png
6. baseline  (--baseline) a scaled MobileNetV2 that fits the same budget, trained for as long
             as the search trained, in the same report

The time budget covers phases 1-5; the baseline comes on top of it.
"""
from __future__ import annotations

import json
import math
import os
import random
import sys
import threading
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import numpy as np

from tinygen.errors import TinygenError
from tinygen.options import DEFAULT, SMALLEST_ARENA
from tinygen.plain import plain
from tinygen.nas.explore import Budget, explore
from tinygen.nas.graph import CodeModel, Evaluator
from tinygen.nas.space import Arch, Measured, SearchSpace, largest, mutate, crossover, sample, smallest
from tinygen.staging import writable_directory

FORMAT_VERSION = 1
SHARES = {"explore": 0.12, "supernet": 0.48, "evolve": 0.22, "finetune": 0.18}  # of the time before export


@dataclass
class Settings:
    board: str
    data: str
    out: str
    time_budget: float = 10.0  # minutes, phases 1-5
    sram_kb: float | None = None
    flash_kb: float | None = None
    latency_ms: float | None = None
    seed: int = 0
    generate: str | None = None
    baseline: bool = False
    se: bool = False
    widths: tuple | None = None
    resolutions: tuple | None = None
    depths: tuple | None = None
    kernels: tuple | None = None
    expansions: tuple | None = None
    val_split: float = 0.2
    # Fixed amounts of work instead of the clock (for exactly reproducible runs)
    samples: int | None = None
    supernet_steps: int | None = None
    population: int | None = None
    generations: int | None = None
    finetune_epochs: int | None = None
    baseline_epochs: int | None = None
    workers: int | None = None
    quiet: bool = False

    def fingerprint(self) -> dict:
        """What must match for a rerun to continue from the checkpoints."""
        skip = {"out", "generate", "baseline", "baseline_epochs", "workers", "quiet"}
        values = {f.name: getattr(self, f.name) for f in fields(self) if f.name not in skip}
        values["data"] = str(Path(self.data).resolve())
        return json.loads(json.dumps(values))

    def space(self) -> SearchSpace:
        default = SearchSpace()
        return SearchSpace(widths=tuple(self.widths or default.widths),
                           resolutions=tuple(self.resolutions or default.resolutions),
                           depths=tuple(self.depths or default.depths), kernels=tuple(self.kernels or default.kernels),
                           expansions=tuple(self.expansions or default.expansions),
                           se=(False, True) if self.se else (False,))


def check_settings(s: Settings) -> None:
    """Bad options, each as one line (exit 2)."""
    if not s.time_budget > 0 or math.isnan(s.time_budget):
        raise TinygenError(f"--time-budget must be a positive number of minutes, not {s.time_budget}")
    for name, value in (("--sram", s.sram_kb), ("--flash", s.flash_kb), ("--latency", s.latency_ms)):
        if value is not None and not value > 0:
            raise TinygenError(f"{name} must be positive, not {value}")
    if not 0.0 < s.val_split < 0.9:
        raise TinygenError(f"--val-split must be in (0, 0.9), not {s.val_split}")
    space = s.space()
    if any(not 0.05 <= w <= 2.0 for w in space.widths):
        raise TinygenError("--widths must be multipliers between 0.05 and 2")
    if any(not 32 <= r <= 512 for r in space.resolutions):
        raise TinygenError("--resolutions must be between 32 and 512 pixels")
    if any(not 1 <= d <= 8 for d in space.depths):
        raise TinygenError("--depths must be between 1 and 8 blocks per stage")
    if any(k < 1 or k % 2 == 0 or k > 9 for k in space.kernels):
        raise TinygenError("--kernels must be odd sizes up to 9")
    if any(not 1 <= e <= 8 for e in space.expansions):
        raise TinygenError("--expansions must be between 1 and 8")
    for name in ("samples", "supernet_steps", "population", "generations", "finetune_epochs", "baseline_epochs"):
        value = getattr(s, name)
        if value is not None and value < (2 if name == "population" else 0 if name != "samples" else 1):
            raise TinygenError(f"--{name.replace('_', '-')} is too small ({value})")


# --------------------------------------------------------------------------- checkpoints and the clock

class Checkpoints:
    def __init__(self, out: Path):
        self.dir = out / "checkpoints"

    def path(self, name: str) -> Path:
        return self.dir / name

    def load(self, name: str):
        path = self.path(name)
        return json.loads(path.read_text()) if path.exists() else None

    def save(self, name: str, value) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        tmp = self.path(name + ".tmp")
        tmp.write_text(json.dumps(plain(value), indent=1))
        tmp.replace(self.path(name))

    def save_arrays(self, name: str, arrays: dict) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        tmp = self.path(name + ".tmp.npz")
        np.savez(tmp, **arrays)
        tmp.replace(self.path(name))

    def load_arrays(self, name: str) -> dict | None:
        path = self.path(name)
        if not path.exists():
            return None
        with np.load(path) as data:
            return {k: data[k] for k in data.files}


class Clock:
    """Seconds spent on the search, across reruns."""

    def __init__(self, spent: float = 0.0):
        self.spent, self.start = spent, time.monotonic()

    def now(self) -> float:
        return self.spent + time.monotonic() - self.start


# --------------------------------------------------------------------------- progress

def _tqdm():
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    return tqdm


class Progress:
    """A tqdm bar on stderr on a terminal; elsewhere (a log) a plain line every 10 s; nothing
    when quiet."""

    def __init__(self, label: str, total: float, unit: str, quiet: bool):
        self.bar, self.line = None, None
        self.every = 0.2 if sys.stderr.isatty() else 10.0  # seconds between redraws or lines
        self.last = 0.0
        if not quiet and not sys.stderr.isatty():
            self.line = (label, round(total, 1), unit)
        elif not quiet and _tqdm() is not None:
            self.bar = _tqdm()(total=round(total, 1), desc=label, unit=unit, file=sys.stderr, leave=True,
                            dynamic_ncols=True, bar_format="{desc}: {percentage:3.0f}%|{bar}| {n:.0f}/{total:.0f} "
                            "{unit} [{elapsed}<{remaining}{postfix}]")

    def update(self, value: float, **postfix) -> None:
        if self.line is not None:
            label, total, unit = self.line
            if time.monotonic() - self.last >= self.every or value >= total:
                details = "".join(f", {k} {v}" for k, v in postfix.items())
                print(f"{label}: {min(value, total):.0f}/{total:.0f} {unit}{details}", file=sys.stderr, flush=True)
                self.last = time.monotonic()
            if value >= total:
                self.line = None
        if self.bar is not None:
            self.bar.n = min(round(value, 1), self.bar.total)
            if postfix:
                self.bar.set_postfix(postfix, refresh=False)
            if time.monotonic() - self.last >= self.every or self.bar.n >= self.bar.total:
                self.bar.refresh()
                self.last = time.monotonic()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


# --------------------------------------------------------------------------- the search

@dataclass
class Context:
    settings: Settings
    out: Path
    board: object
    sram: int | None
    flash: int | None
    space: SearchSpace
    source: object
    checkpoints: Checkpoints
    clock: Clock
    deadlines: dict
    state: dict = field(default_factory=dict)

    def log(self, message: str) -> None:
        if not self.settings.quiet:
            if _tqdm() is not None:
                _tqdm().write(message, file=sys.stderr)
            else:
                print(message, file=sys.stderr, flush=True)

    def remaining(self, phase: str) -> float:
        return self.deadlines[phase] - self.clock.now()

    def save_state(self, search_time: bool = True) -> None:
        """search_time=False: the time since the last save is not the search's (the baseline's)."""
        if search_time:
            self.state["elapsed_seconds"] = round(self.clock.now(), 2)
        else:
            self.clock = Clock(self.state.get("elapsed_seconds", 0.0))
        self.checkpoints.save("state.json", self.state)


def run_search(settings: Settings) -> dict:
    """Run (or continue) a search; returns the report."""
    ctx = prepare(settings)
    explored = phase_explore(ctx)
    _seed_everything(settings.seed, tensorflow=True)
    net = phase_supernet(ctx, explored)
    evolved = phase_evolve(ctx, explored, net)
    model = phase_finetune(ctx, explored, net, evolved)
    report = phase_export(ctx, explored, evolved, model)
    if settings.baseline:
        report = phase_baseline(ctx, report)
    if settings.generate:
        _generate(ctx, report)
    return report


def prepare(settings: Settings) -> Context:
    """Check the settings, the board, the data and the output directory (bad input fails here,
    before any work); the time plan; the checkpoints of an earlier run with the same settings."""
    from tinygen.boards import get_board
    from tinygen.nas.data import open_source

    check_settings(settings)
    board = get_board(settings.board)
    sram = round(settings.sram_kb * 1024) if settings.sram_kb else board.arena_limit_bytes
    flash = round(settings.flash_kb * 1024) if settings.flash_kb else board.flash_bytes
    if sram is None or flash is None:
        raise TinygenError(f"board {board.name} has no SRAM or flash limit; give --sram KB and --flash KB")
    out = Path(settings.out)
    if out.exists() and not out.is_dir():
        raise TinygenError(f"{out} exists and is not a directory")
    checkpoints = Checkpoints(out)
    state = checkpoints.load("state.json")
    if state is not None and state.get("settings") != settings.fingerprint():
        raise TinygenError(f"{out} holds a search with other settings; use another -o directory or delete it")
    if state is None and out.exists() and any(out.iterdir()):
        raise TinygenError(f"{out} exists and is not a search output directory; use another -o directory")
    if settings.generate and Path(settings.generate).exists() and not (state or {}).get("generated") == settings.generate:
        raise TinygenError(f"{settings.generate} exists; choose another --generate directory or remove it")
    source = open_source(settings.data, settings.seed, settings.val_split)
    space = settings.space()
    data = source.at(min(space.resolutions))  # every image decodes (a bad file fails now, not after the search)
    state = state or {"format": FORMAT_VERSION, "settings": settings.fingerprint(), "phases": {}}
    budget = settings.time_budget * 60.0
    reserve = min(0.4 * budget, 40.0 + 0.05 * budget)  # for the export: conversion, flash, bit-exact check
    deadlines, at = {}, 0.0
    for phase, share in SHARES.items():
        at += share * (budget - reserve)
        deadlines[phase] = at
    deadlines["export"] = budget
    ctx = Context(settings, out, board, sram, flash, space, source, checkpoints,
                  Clock(state.get("elapsed_seconds", 0.0)), deadlines, state)
    if "explore" not in state["phases"]:
        error = _too_small(ctx, data.classes, data.channels)
        if error is not None:
            raise error
    writable_directory(out)
    _seed_everything(settings.seed, tensorflow=False)
    ctx.save_state()
    return ctx


def _seed_everything(seed: int, tensorflow: bool) -> None:
    random.seed(seed)
    np.random.seed(seed % (1 << 32))
    if tensorflow:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's start-up chatter
        import tensorflow as tf

        tf.keras.utils.set_random_seed(seed)
        tf.config.experimental.enable_op_determinism()


# --------------------------------------------------------------------------- 1. explore

def _too_small(ctx: Context, classes: int, channels: int) -> TinygenError | None:
    """The error to give when not even the smallest network of the space fits the budget."""
    space = ctx.space
    evaluator = Evaluator(space, classes, channels, ctx.board, ctx.sram, ctx.flash, ctx.settings.latency_ms)
    arch = smallest(space, min(space.widths), min(space.resolutions))
    exact = evaluator.measure(arch)
    if exact.fit:
        return None
    need = f"needs {exact.peak_sram / 1024:.1f} KB SRAM and about {exact.flash / 1024:.1f} KB flash"
    if ctx.settings.latency_ms is not None:
        need += f" and about {exact.latency_ms:.1f} ms"
    return TinygenError(f"no architecture in the search space fits {ctx.sram / 1024:g} KB SRAM and "
                        f"{ctx.flash / 1024:g} KB flash on {ctx.board.name}"
                        + (f" within {ctx.settings.latency_ms:g} ms" if ctx.settings.latency_ms is not None else "")
                        + f": the smallest ({arch.describe(space)}) {need}; raise --sram/--flash or use smaller "
                        "--widths/--resolutions")


def phase_explore(ctx: Context) -> dict:
    done = ctx.checkpoints.load("explore.json")
    if done is not None:
        return done
    s = ctx.settings
    data = ctx.source.at(min(ctx.space.resolutions))
    seconds = max(5.0, ctx.remaining("explore"))
    pairs = len(ctx.space.widths) * len(ctx.space.resolutions)
    total = (s.samples + 1) * pairs if s.samples else seconds
    bar = Progress("step 1/5 search space", total, "checks" if s.samples else "s", s.quiet)
    start = time.monotonic()
    result = explore(ctx.space, data.classes, data.channels, ctx.board, Budget(ctx.sram, ctx.flash, s.latency_ms),
                     CodeModel(), s.seed, None if s.samples else seconds, s.samples, s.workers,
                     progress=lambda n, t: bar.update(n if s.samples else time.monotonic() - start, checked=n))
    bar.close()
    if result["chosen"] is None:
        raise _too_small(ctx, data.classes, data.channels) or TinygenError(
            f"no sampled architecture fits {ctx.sram / 1024:g} KB SRAM and {ctx.flash / 1024:g} KB flash on "
            f"{ctx.board.name}; raise --sram/--flash or use smaller --widths/--resolutions")
    chosen = result["chosen"]
    row = next(r for r in result["table"] if (r["width"], r["resolution"]) == (chosen["width"], chosen["resolution"]))
    ctx.log(f"step 1: {len(result['results'])} candidates checked in {result['seconds']:.0f} s; chosen width "
            f"{chosen['width']:g}, resolution {chosen['resolution']} ({row['fitting']}/{row['samples']} samples fit, "
            f"mean {row['mean_macs_fitting'] / 1e6:.2f} M MACs)")
    ctx.checkpoints.save("explore.json", result)
    ctx.state["phases"]["explore"] = round(ctx.clock.now(), 1)
    ctx.save_state()
    return result


# --------------------------------------------------------------------------- 2. supernet

SUPERNET_LR = 3e-3
WARMUP = 0.2  # share of the supernet's training on the largest network alone
CHECKPOINT_EVERY = 30.0


def _space_data(ctx: Context, explored: dict):
    return ctx.source.at(explored["chosen"]["resolution"])


def _pool(explored: dict) -> list[Arch]:
    return [Arch.from_dict(d["arch"]) for d in explored["pool"]]


def phase_supernet(ctx: Context, explored: dict):
    from tinygen.nas.supernet import Supernet
    from tinygen.nas.train import SupernetTrainer, augment, cosine_lr

    s = ctx.settings
    data = _space_data(ctx, explored)
    w, r = explored["chosen"]["width"], explored["chosen"]["resolution"]
    net = Supernet(ctx.space, w, r, data.classes, data.channels, seed=s.seed)
    saved = ctx.checkpoints.load("supernet.json")
    arrays = ctx.checkpoints.load_arrays("supernet.npz")
    trainer = SupernetTrainer(net)
    if saved is not None and arrays is not None:
        net.load_state({k[4:]: v for k, v in arrays.items() if k.startswith("net/")})
        trainer.load_state({k[4:]: v for k, v in arrays.items() if k.startswith("opt/")})
    if saved is not None and saved.get("done"):
        return net
    progress = saved or {"steps": 0, "seconds": 0.0, "losses": []}
    rng = np.random.default_rng(s.seed + 1)
    picker = random.Random(s.seed + 2)
    if saved is not None:
        rng.bit_generator.state = saved["rng"]
        picker.setstate(_tuples(saved["picker"]))
    calibration = _start_flash_calibration(ctx, explored, data)
    pool = _pool(explored)
    top, bottom = largest(ctx.space, w, r), smallest(ctx.space, w, r)
    configs_top = np.stack([net.config(top)])
    fixed = s.supernet_steps
    phase_seconds = progress["seconds"] + max(0.0, ctx.remaining("supernet"))
    n, batch = len(data.y_train), min(32, len(data.y_train))
    bar = Progress("step 2/5 supernet", fixed or phase_seconds, "steps" if fixed else "s", s.quiet)
    started, last_save = time.monotonic(), time.monotonic()
    base_seconds = progress["seconds"]

    def done_fraction() -> float:
        if fixed:
            return progress["steps"] / max(fixed, 1)
        return progress["seconds"] / max(phase_seconds, 1e-9)

    while (progress["steps"] < fixed) if fixed else (progress["steps"] == 0 or ctx.remaining("supernet") > 0):
        fraction = done_fraction()
        if fraction < WARMUP:
            configs = configs_top
        else:
            picks = [top, bottom, picker.choice(pool) if pool else sample(ctx.space, w, r, picker),
                     sample(ctx.space, w, r, picker)]
            configs = np.stack([net.config(a) for a in picks])
        index = rng.choice(n, batch, replace=False)
        loss = trainer.step(augment(data.x_train[index], rng), data.y_train[index], configs,
                            cosine_lr(SUPERNET_LR, fraction))
        progress["steps"] += 1
        progress["seconds"] = base_seconds + time.monotonic() - started
        progress["losses"].append(round(loss, 4))
        bar.update(progress["steps"] if fixed else progress["seconds"], step=progress["steps"], loss=f"{loss:.3f}")
        if time.monotonic() - last_save > CHECKPOINT_EVERY:
            _save_supernet(ctx, net, trainer, progress, rng, picker, done=False)
            last_save = time.monotonic()
    bar.close()
    progress["largest_loss_last"] = float(np.mean(progress["losses"][-10:])) if progress["losses"] else None
    _save_supernet(ctx, net, trainer, progress, rng, picker, done=True)
    ctx.log(f"step 2: supernet trained {progress['steps']} steps in {progress['seconds']:.0f} s")
    if calibration is not None:
        calibration.join()
    ctx.state["phases"]["supernet"] = round(ctx.clock.now(), 1)
    ctx.save_state()
    return net


def _tuples(value):
    return tuple(_tuples(v) for v in value) if isinstance(value, list) else value


def _save_supernet(ctx: Context, net, trainer, progress: dict, rng, picker, done: bool) -> None:
    arrays = {f"net/{k}": v for k, v in net.state().items()}
    arrays.update({f"opt/{k}": v for k, v in trainer.state().items()})
    ctx.checkpoints.save_arrays("supernet.npz", arrays)
    ctx.checkpoints.save("supernet.json", {**progress, "done": done, "rng": rng.bit_generator.state,
                                           "picker": picker.getstate()})
    ctx.save_state()


# --------------------------------------------------------------------------- flash calibration

def _start_flash_calibration(ctx: Context, explored: dict, data) -> threading.Thread | None:
    """In the background (while the supernet trains): build two fitting candidates as `tinygen
    simulate` does and measure their flash, to scale the search's flash estimate."""
    if ctx.checkpoints.load("calibration.json") is not None:
        return None
    pool = sorted((Measured.from_dict(d) for d in explored["pool"]), key=lambda m: m.flash)
    picks = [pool[-1], pool[len(pool) // 2]] if len(pool) >= 2 else pool
    if not picks:
        return None

    def work():
        from tinygen.simulate import flash_use

        evaluator = Evaluator(ctx.space, data.classes, data.channels, ctx.board, ctx.sram, ctx.flash,
                              ctx.settings.latency_ms)
        points = []
        for m in picks:
            try:
                measured = flash_use(evaluator.program(m.arch), ctx.board)
            except Exception as e:  # noqa: BLE001 - calibration is an optimization; say why it was skipped
                points.append({"error": str(e)})
                continue
            estimate = evaluator.check(m.arch).flash
            points.append({"arch": m.arch.to_dict(), "estimate": estimate, "measured": measured.flash_bytes,
                           "is_estimate": measured.is_estimate, "method": measured.method})
        ctx.checkpoints.save("calibration.json", {"points": points})

    thread = threading.Thread(target=work, name="flash-calibration", daemon=True)
    thread.start()
    return thread


def code_model(ctx: Context) -> CodeModel:
    """The default flash estimate scaled so that it covers both calibration points with 2% to spare."""
    calibration = ctx.checkpoints.load("calibration.json") or {"points": []}
    ratios = [p["measured"] / p["estimate"] for p in calibration["points"] if p.get("estimate")]
    if not ratios:
        return CodeModel()
    return CodeModel(scale=round(min(1.5, max(ratios) * 1.02), 4))


# --------------------------------------------------------------------------- 3. evolve

CALIBRATION_IMAGES = 64  # training images that recalibrate a sub-network's batch norms


def _population_size(seconds: float) -> int:
    return 8 if seconds < 60 else 12 if seconds < 150 else 16 if seconds < 300 else 24


def phase_evolve(ctx: Context, explored: dict, net) -> dict:
    from tinygen.nas.train import score_subnet

    s = ctx.settings
    saved = ctx.checkpoints.load("evolution.json")
    if saved is not None and saved.get("winner"):
        return saved
    data = _space_data(ctx, explored)
    w, r = explored["chosen"]["width"], explored["chosen"]["resolution"]
    code = code_model(ctx)
    evaluator = Evaluator(ctx.space, data.classes, data.channels, ctx.board, ctx.sram, ctx.flash, s.latency_ms, code)
    calibration_images = data.x_train[:CALIBRATION_IMAGES]
    state = saved or {"generation": -1, "evaluated": [], "population": [], "history": [], "seconds": 0.0,
                      "picker": None}
    picker = random.Random(s.seed + 3)
    if state["picker"] is not None:
        picker.setstate(_tuples(state["picker"]))
    seconds_left = max(0.0, ctx.remaining("evolve"))
    size = s.population or _population_size(seconds_left)
    parents_count = max(2, size // 4)
    evaluated = {_freeze(json.loads(e["key"])): e for e in state["evaluated"]}
    fixed = s.generations
    bar = Progress("step 3/5 evolution", fixed + 1 if fixed is not None else seconds_left,
                   "generations" if fixed is not None else "s", s.quiet)
    started = time.monotonic()
    base_seconds = state["seconds"]

    def key_of(arch: Arch) -> tuple:
        return _freeze(json.loads(json.dumps(arch.key(ctx.space))))

    def out_of_time() -> bool:
        return fixed is None and ctx.remaining("evolve") <= 0

    def evaluate(arch: Arch, generation: int) -> dict | None:
        key = key_of(arch)
        if key in evaluated:
            return evaluated[key]
        m = evaluator.measure(arch)
        if not m.fit:
            return None
        accuracy, loss = score_subnet(net, arch, calibration_images, data.x_val, data.y_val)
        entry = {**m.to_dict(), "key": json.dumps(key), "description": arch.describe(ctx.space),
                 "val_accuracy_inherited": round(accuracy, 4), "val_loss_inherited": round(loss, 4),
                 "generation": generation}
        evaluated[key] = entry
        state["evaluated"].append(entry)
        return entry

    def fitting(make, tries: int = 40) -> Arch | None:
        for _ in range(tries):
            arch = make()
            if key_of(arch) in evaluated:
                continue
            if evaluator.check(arch).fit:
                return arch
        return None

    def rank(entries: list[dict]) -> list[dict]:
        return sorted(entries, key=lambda e: (-e["val_accuracy_inherited"], e["val_loss_inherited"],
                                              e["peak_sram_bytes"]))

    def save() -> None:
        state["seconds"] = base_seconds + time.monotonic() - started
        state["picker"] = picker.getstate()
        state["population_size"] = size
        ctx.checkpoints.save("evolution.json", state)
        ctx.save_state()

    def tick(generation: int) -> None:
        best = rank(state["evaluated"])[0] if state["evaluated"] else None
        postfix = {"gen": generation, "evaluated": len(state["evaluated"])}
        if best:
            postfix["best"] = f"{best['val_accuracy_inherited']:.3f}"
        bar.update(generation + 1 if fixed is not None else time.monotonic() - started, **postfix)

    if state["generation"] < 0:  # the first population: fitting samples of step 1, then new ones
        candidates = _pool(explored)
        picker.shuffle(candidates)
        population = []
        for arch in candidates:
            if len(population) >= size or (out_of_time() and population):
                break
            entry = evaluate(arch, 0)
            if entry is not None and entry not in population:
                population.append(entry)
                tick(0)
        while len(population) < size and not (out_of_time() and population):
            arch = fitting(lambda: sample(ctx.space, w, r, picker))
            if arch is None:
                break
            entry = evaluate(arch, 0)
            if entry is not None:
                population.append(entry)
                tick(0)
        if not population:
            raise TinygenError("no sub-network of the chosen space fits the budget after calibrating the flash "
                               "estimate; raise --flash or narrow the space")
        state["population"] = [e["key"] for e in population]
        state["generation"] = 0
        state["history"].append(_generation_summary(0, population))
        save()
    generation = state["generation"]
    while (generation < fixed) if fixed is not None else not out_of_time():
        generation += 1
        population = [evaluated[_freeze(json.loads(k))] for k in state["population"]]
        parents = rank(population)[:parents_count]
        children = []
        mutations = (size - parents_count + 1) // 2
        for i in range(size - parents_count):
            if out_of_time():
                break
            if i < mutations:
                parent = Arch.from_dict(picker.choice(parents)["arch"])
                arch = fitting(lambda: mutate(parent, ctx.space, picker))
            else:
                a, b = picker.sample(parents, 2) if len(parents) > 1 else (parents[0], parents[0])
                arch = fitting(lambda: crossover(Arch.from_dict(a["arch"]), Arch.from_dict(b["arch"]), picker))
            if arch is None:
                continue
            entry = evaluate(arch, generation)
            if entry is not None:
                children.append(entry)
            tick(generation)
        population = parents + children
        state["population"] = [e["key"] for e in population]
        state["generation"] = generation
        state["history"].append(_generation_summary(generation, population))
        save()
        tick(generation)
    bar.close()
    ranked = rank(state["evaluated"])
    ctx.log(f"step 3: {len(ranked)} sub-networks evaluated over {generation + 1} generations; best inherited "
            f"accuracy {ranked[0]['val_accuracy_inherited']:.3f}")
    winner = _verified_winner(ctx, evaluator, ranked)
    state["winner"] = winner
    state["code_model"] = code.to_dict()
    save()
    ctx.state["phases"]["evolve"] = round(ctx.clock.now(), 1)
    ctx.save_state()
    return state


def _freeze(value):
    return tuple(_freeze(v) for v in value) if isinstance(value, list) else value


def _generation_summary(generation: int, population: list[dict]) -> dict:
    accuracies = [e["val_accuracy_inherited"] for e in population]
    return {"generation": generation, "size": len(population), "best_accuracy": max(accuracies),
            "mean_accuracy": round(float(np.mean(accuracies)), 4)}


def _verified_winner(ctx: Context, evaluator: Evaluator, ranked: list[dict]) -> dict:
    """The best candidate whose flash, measured as `tinygen simulate` measures it, fits; its peak
    SRAM from compile_graph itself must equal the fast planner's."""
    from tinygen.simulate import flash_use

    for entry in ranked[:6]:
        arch = Arch.from_dict(entry["arch"])
        program = evaluator.program(arch)
        if program.plan.arena_bytes != entry["peak_sram_bytes"]:
            raise AssertionError(f"fast planner {entry['peak_sram_bytes']} != compile_graph {program.plan.arena_bytes}")
        measured = flash_use(program, ctx.board)
        entry = {**entry, "flash_bytes_candidate": measured.flash_bytes, "flash_candidate_method": measured.method}
        if measured.flash_bytes <= ctx.flash:
            return entry
        ctx.log(f"candidate {entry['description']}: flash {measured.flash_bytes:,} B measured, over the limit; next")
    raise TinygenError("none of the best candidates fits the flash limit once measured; raise --flash")


# --------------------------------------------------------------------------- 4. fine-tune

FINETUNE_LR = 1e-3
DROPOUT = 0.2


def phase_finetune(ctx: Context, explored: dict, net, evolved: dict):
    from tinygen.nas.keras_models import build_keras
    from tinygen.nas.train import evaluate_keras, train_keras

    s = ctx.settings
    data = _space_data(ctx, explored)
    winner = Arch.from_dict(evolved["winner"]["arch"])
    plan = winner.plan(ctx.space, data.classes, data.channels)
    weights = ctx.checkpoints.path("finetuned.weights.h5")
    saved = ctx.checkpoints.load("finetune.json")
    if saved is not None and saved.get("done") and weights.exists():
        model = build_keras(plan, DROPOUT)
        model.load_weights(weights)
        return model
    # batch-norm statistics from the images the evolution recalibrated with: the same network it scored
    model = net.export_keras(winner, data.x_train[:CALIBRATION_IMAGES], DROPOUT)
    inherited = evaluate_keras(model, data.x_val, data.y_val)
    seconds = max(0.0, ctx.remaining("finetune"))
    fixed = s.finetune_epochs
    bar = Progress("step 4/5 fine-tune", fixed if fixed is not None else seconds, "epochs" if fixed is not None else "s",
                   s.quiet)
    info = train_keras(model, data, seconds, fixed, s.seed + 4, lr=FINETUNE_LR,
                       progress=lambda epoch, t, acc: bar.update(epoch if fixed is not None else t, epoch=epoch,
                                                                 val_acc=f"{acc:.3f}"))
    bar.close()
    model.save_weights(weights)
    ctx.checkpoints.save("finetune.json", {**info, "done": True, "inherited_val_accuracy": inherited[0],
                                           "inherited_val_loss": inherited[1]})
    ctx.log(f"step 4: fine-tuned {info['epochs']} epochs in {info['seconds']:.0f} s; val accuracy "
            f"{inherited[0]:.3f} inherited -> {info['val_accuracy']:.3f}")
    ctx.state["phases"]["finetune"] = round(ctx.clock.now(), 1)
    ctx.save_state()
    return model


# --------------------------------------------------------------------------- 5. export

def int8_accuracy(path: Path, x: np.ndarray, y: np.ndarray) -> float:
    """Accuracy of the int8 model under TFLite Micro (what the generated C computes, bit for bit),
    the images quantized as `tinygen validate --input` quantizes them."""
    from tinygen.frontend import load_model
    from tinygen.oracle import run_tflm

    if len(y) == 0:
        return 0.0
    t = load_model(path).inputs[0]
    q = np.clip(np.round(x / float(t.quant.s)) + t.quant.zp, -128, 127).astype(np.int8)
    outputs = run_tflm(path, [[sample[None]] for sample in q], 1)
    predictions = np.array([int(np.argmax(o[0].reshape(-1))) for o in outputs])
    return float((predictions == y).mean())


def measure_tflite(path: Path, board) -> dict:
    """What `tinygen simulate --board B` reports for the model: peak SRAM and flash."""
    from tinygen.compiler import compile_model
    from tinygen.simulate import flash_use

    program = compile_model(path, SMALLEST_ARENA, board)
    flash = flash_use(program, board)
    weights = sum(t.nbytes for op in program.graph.ops for t in op.inputs[1:2] if t is not None and t.is_const)
    if flash.flash_bytes < weights:  # a failed build or link can look like a tiny program: measure again
        flash = flash_use(program, board)
    layer_based = sum(getattr(s.call, "macs_layer_based", getattr(s.call, "macs", 0)) for s in program.steps)
    return {"peak_sram_bytes": program.plan.arena_bytes, "flash_bytes": flash.flash_bytes,
            "flash_is_estimate": flash.is_estimate, "flash_method": flash.method, "macs": layer_based,
            "macs_with_patch_overhead": program.macs,
            "flash_note": None if flash.flash_bytes >= weights else
            f"the measured flash is below the {weights:,} bytes of weights alone: the measurement is wrong",
            "patch": None if program.patch is None else plain(program.patch)}


def phase_export(ctx: Context, explored: dict, evolved: dict, model) -> dict:
    from tinygen.compiler import compile_model
    from tinygen.nas.keras_models import convert_int8
    from tinygen.nas.train import evaluate_keras
    from tinygen.validate import validate

    done = ctx.checkpoints.load("export.json")
    model_path = ctx.out / "model.tflite"
    if done is not None and model_path.exists():
        return _finish_report(ctx, explored, evolved, done)
    data = _space_data(ctx, explored)
    bar = Progress("step 5/5 export", 4, "steps", ctx.settings.quiet)
    float_accuracy, float_loss = evaluate_keras(model, data.x_val, data.y_val)
    convert_int8(model, data.x_train[:200], model_path)
    bar.update(1, step="int8 accuracy")
    accuracy = int8_accuracy(model_path, data.x_val, data.y_val)
    bar.update(2, step="memory")
    measured = measure_tflite(model_path, ctx.board)
    bar.update(3, step="bit-exact check")
    check = validate(model_path, compile_model(model_path), samples=10)  # on the host
    bar.update(4)
    bar.close()
    winner = evolved["winner"]
    export = {"val_accuracy_float": float_accuracy, "val_loss_float": float_loss, "val_accuracy_int8": accuracy,
              "tflite": measured, "sram_matches": measured["peak_sram_bytes"] == winner["peak_sram_bytes"],
              "bit_exact": check.max_abs_diff == 0, "validated_samples": check.samples,
              "max_abs_diff": float(check.max_abs_diff), "model_bytes": model_path.stat().st_size}
    ctx.state["phases"]["export"] = round(ctx.clock.now(), 1)
    ctx.save_state()
    export["search_seconds"] = round(ctx.clock.now(), 1)
    ctx.checkpoints.save("export.json", export)
    if not export["sram_matches"]:
        ctx.log(f"WARNING: the search planned {winner['peak_sram_bytes']:,} B SRAM for the winner, the exported "
                f"model needs {measured['peak_sram_bytes']:,} B")
    return _finish_report(ctx, explored, evolved, export)


def _finish_report(ctx: Context, explored: dict, evolved: dict, export: dict) -> dict:
    report = build_report(ctx, explored, evolved, export, ctx.checkpoints.load("baseline.json"))
    write_report(ctx.out, report)
    return report


def build_report(ctx: Context, explored: dict, evolved: dict, export: dict, baseline: dict | None) -> dict:
    s = ctx.settings
    data = _space_data(ctx, explored)
    winner = evolved["winner"]
    supernet = ctx.checkpoints.load("supernet.json") or {}
    finetune = ctx.checkpoints.load("finetune.json") or {}
    calibration = ctx.checkpoints.load("calibration.json")
    tflite = export["tflite"]
    fits = tflite["peak_sram_bytes"] <= ctx.sram and tflite["flash_bytes"] <= ctx.flash
    phases = ctx.state["phases"]
    budget = s.time_budget * 60
    winner_report = {
        "description": winner["description"], "arch": winner["arch"], "macs": winner["macs"],
        "macs_with_patch_overhead": tflite.get("macs_with_patch_overhead"), "params": winner["params"],
        "peak_sram_bytes": winner["peak_sram_bytes"],  # what the search planned (tinygen's IR, no TensorFlow)
        "peak_sram_bytes_tflite": tflite["peak_sram_bytes"],  # `tinygen simulate` on OUT/model.tflite
        "sram_matches": export["sram_matches"],
        "flash_bytes": tflite["flash_bytes"], "flash_is_estimate": tflite["flash_is_estimate"],
        "flash_method": tflite["flash_method"], "flash_bytes_search_estimate": winner["flash_bytes_estimate"],
        "latency_ms_estimate": winner.get("latency_ms_estimate"), "patch": tflite["patch"],
        "fits": fits,
        "val_accuracy_inherited": winner["val_accuracy_inherited"],
        "val_accuracy_before_finetune": finetune.get("inherited_val_accuracy"),
        "val_accuracy_float": export["val_accuracy_float"], "val_accuracy_int8": export["val_accuracy_int8"],
        "bit_exact": export["bit_exact"], "validated_samples": export["validated_samples"],
        "model": str(ctx.out / "model.tflite"),
    }
    report = {
        "format": FORMAT_VERSION,
        "settings": {**asdict(s), "data": str(s.data)},
        "board": {"name": ctx.board.name, "core": ctx.board.core, "sram_limit_bytes": ctx.sram,
                  "flash_limit_bytes": ctx.flash, "board_sram_limit_bytes": ctx.board.arena_limit_bytes,
                  "board_flash_bytes": ctx.board.flash_bytes, "latency_limit_ms": s.latency_ms},
        "data": data.summary(),
        "time": {"budget_seconds": budget, "search_seconds": export["search_seconds"],
                 "within_budget": export["search_seconds"] <= budget,
                 "phase_end_seconds": {k: v for k, v in phases.items() if k != "baseline"}},
        "step1_search_space": {
            "criterion": "largest mean MACs of the sampled networks that fit (at least 10% and 3 of the samples)",
            "chosen": explored["chosen"], "checked": len(explored["results"]), "seconds": explored["seconds"],
            "table": explored["table"]},
        "supernet": {"steps": supernet.get("steps"), "seconds": round(supernet.get("seconds", 0.0), 1),
                     "method": "masked weight-sharing supernet (centred sub-kernels, channel slicing by mask, "
                               "skipped residual blocks); warm-up on the largest network, then the sandwich rule "
                               "(largest, smallest, one fitting and one random sub-network per step) with in-place "
                               "distillation from the largest; AdamW, cosine learning rate",
                     "pool_of_fitting_networks": len(explored["pool"])},
        "evolution": {"population": evolved.get("population_size"), "generations": evolved["generation"] + 1,
                      "evaluated": len(evolved["evaluated"]), "seconds": round(evolved.get("seconds", 0.0), 1),
                      "score": "validation accuracy with inherited weights, batch norms recalibrated on 64 "
                               "training images (ties: lower validation loss)",
                      "history": evolved["history"], "code_model": evolved.get("code_model"),
                      "flash_calibration": calibration},
        "finetune": {k: v for k, v in finetune.items() if k != "history"} | {"history": finetune.get("history")},
        "winner": winner_report,
        "candidates": evolved["evaluated"],
        "baseline": baseline,
        "comparison": comparison(winner_report, baseline),
    }
    return report


def comparison(winner: dict, baseline: dict | None) -> list[dict]:
    rows = [{"model": f"search winner ({winner['description']})", "val_accuracy_float": winner["val_accuracy_float"],
             "val_accuracy_int8": winner["val_accuracy_int8"], "peak_sram_bytes": winner["peak_sram_bytes_tflite"],
             "flash_bytes": winner["flash_bytes"], "macs": winner["macs"], "params": winner["params"]}]
    if baseline and baseline.get("val_accuracy_int8") is not None:
        rows.append({"model": f"MobileNetV2 alpha {baseline['alpha']:g} r{baseline['resolution']}",
                     "val_accuracy_float": baseline["val_accuracy_float"],
                     "val_accuracy_int8": baseline["val_accuracy_int8"],
                     "peak_sram_bytes": baseline["peak_sram_bytes"], "flash_bytes": baseline["flash_bytes"],
                     "macs": baseline["macs"], "params": baseline["params"]})
    return rows


def write_report(out: Path, report: dict) -> None:
    tmp = out / "report.json.tmp"
    tmp.write_text(json.dumps(plain(report), indent=1))
    tmp.replace(out / "report.json")
    plot_pareto(report, out / "pareto.png")


def plot_pareto(report: dict, path: Path) -> None:
    """Validation accuracy against peak SRAM of every evaluated candidate, with the budget."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    candidates = report["candidates"]
    winner = report["winner"]
    fig, ax = plt.subplots(figsize=(8, 5.5))
    xs = [c["peak_sram_bytes"] / 1024 for c in candidates]
    ys = [c["val_accuracy_inherited"] for c in candidates]
    gens = [c["generation"] for c in candidates]
    points = ax.scatter(xs, ys, c=gens, cmap="viridis", s=28, alpha=0.85, label="candidates (inherited weights)")
    bar = fig.colorbar(points, ax=ax, label="generation")
    bar.ax.yaxis.get_major_locator().set_params(integer=True)
    ax.scatter([winner["peak_sram_bytes"] / 1024], [winner["val_accuracy_inherited"]], marker="o", s=160,
               facecolors="none", edgecolors="#C44E52", linewidths=2, label="winner (inherited weights)")
    ax.scatter([winner["peak_sram_bytes_tflite"] / 1024], [winner["val_accuracy_int8"]], marker="*", s=220,
               color="#C44E52", label=f"winner fine-tuned, int8 ({winner['val_accuracy_int8']:.3f})")
    baseline = report.get("baseline")
    if baseline and baseline.get("val_accuracy_int8") is not None:
        ax.scatter([baseline["peak_sram_bytes"] / 1024], [baseline["val_accuracy_int8"]], marker="s", s=110,
                   color="#DD8452", label=f"MobileNetV2 a{baseline['alpha']:g} r{baseline['resolution']}, int8 "
                                          f"({baseline['val_accuracy_int8']:.3f})")
    limit = report["board"]["sram_limit_bytes"] / 1024
    ax.axvline(limit, color="#C44E52", linestyle="--", linewidth=1.5, label=f"SRAM budget {limit:g} KB")
    ax.set_xlabel("peak SRAM (KB, tinygen planner, patch-based where it helps)")
    ax.set_ylabel("validation accuracy")
    ax.set_title(f"tinygen search on {report['board']['name']}: {len(candidates)} candidates")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


# --------------------------------------------------------------------------- 6. baseline

def phase_baseline(ctx: Context, report: dict) -> dict:
    from tinygen.nas import baseline as mbv2
    from tinygen.nas.keras_models import convert_int8
    from tinygen.nas.train import evaluate_keras, train_keras

    s = ctx.settings
    done = ctx.checkpoints.load("baseline.json")
    if done is not None and done.get("done"):
        return report
    explored = ctx.checkpoints.load("explore.json")
    evolved = ctx.checkpoints.load("evolution.json")
    data0 = _space_data(ctx, explored)
    code = CodeModel(**evolved["code_model"]) if evolved.get("code_model") else CodeModel()
    ctx.log("baseline: choosing a MobileNetV2 width and resolution that fit")
    chosen = mbv2.choose(ctx.space.resolutions, data0.channels, data0.classes, ctx.board, ctx.sram, ctx.flash, code,
                         log=ctx.log)
    if chosen is None:
        result = {"done": True, "fits": False, "note": "no MobileNetV2 of the tried widths and resolutions fits"}
        ctx.checkpoints.save("baseline.json", result)
        report["baseline"] = result
        write_report(ctx.out, report)
        return report
    data = ctx.source.at(chosen["resolution"])
    model = mbv2.build_mobilenet_v2(chosen["alpha"], chosen["resolution"], data.channels, data.classes)
    # The same wall time the search spent from its start to the end of fine-tuning.
    seconds = ctx.state["phases"]["finetune"]
    fixed = s.baseline_epochs
    bar = Progress("baseline MobileNetV2", fixed if fixed is not None else seconds,
                   "epochs" if fixed is not None else "s", s.quiet)
    info = train_keras(model, data, seconds, fixed, s.seed + 5, lr=2e-3,
                       progress=lambda epoch, t, acc: bar.update(epoch if fixed is not None else t, epoch=epoch,
                                                                 val_acc=f"{acc:.3f}"))
    bar.close()
    float_accuracy, _ = evaluate_keras(model, data.x_val, data.y_val)
    path = ctx.out / "baseline_mobilenetv2.tflite"
    convert_int8(model, data.x_train[:200], path)
    measured = measure_tflite(path, ctx.board)
    accuracy = int8_accuracy(path, data.x_val, data.y_val)
    weights, biases = mbv2._weights_and_biases(model)
    result = {"done": True, "alpha": chosen["alpha"], "resolution": chosen["resolution"],
              "train_seconds": info["seconds"], "train_seconds_allowed": round(seconds, 1), "epochs": info["epochs"],
              "best_epoch": info["best_epoch"], "val_accuracy_float": float_accuracy,
              "val_accuracy_int8": accuracy, "peak_sram_bytes": measured["peak_sram_bytes"],
              "flash_bytes": measured["flash_bytes"], "flash_is_estimate": measured["flash_is_estimate"],
              "fits": measured["peak_sram_bytes"] <= ctx.sram and measured["flash_bytes"] <= ctx.flash,
              "macs": measured["macs"], "params": weights + biases, "model": str(path), "selection": chosen["tried"],
              "history": info["history"]}
    ctx.checkpoints.save("baseline.json", result)
    ctx.save_state(search_time=False)
    report["baseline"] = result
    report["comparison"] = comparison(report["winner"], result)
    write_report(ctx.out, report)
    ctx.log(f"baseline: MobileNetV2 alpha {chosen['alpha']:g} r{chosen['resolution']}: int8 val accuracy "
            f"{accuracy:.3f}, peak SRAM {measured['peak_sram_bytes']:,} B")
    return report


# --------------------------------------------------------------------------- --generate

def _generate(ctx: Context, report: dict) -> None:
    """The same as `tinygen generate OUT/model.tflite -o DIR --board B` (the model's I/O is int8 already)."""
    from tinygen.compiler import compile_model
    from tinygen.project import write_project

    target = ctx.settings.generate
    program = compile_model(ctx.out / "model.tflite", DEFAULT, ctx.board)
    files, next_step = write_project(program, ctx.board, Path(target), force=ctx.state.get("generated") == target)
    ctx.log(f"wrote {len(files)} files to {target} (arena {program.plan.arena_bytes:,} bytes); next: {next_step}")
    ctx.state["generated"] = target
    ctx.save_state()
