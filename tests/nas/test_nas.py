"""`tinygen search`: the planner-built graphs of the search space, the memory the search believes
in against the exported model's, a tiny end-to-end search, and bad input."""
import json
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from helpers import EXAMPLE, REPO
from tinygen.boards import get_board
from tinygen.nas.graph import Evaluator, build_graph, compile_plan, fast_peak, sram_lower_bound
from tinygen.nas.space import SearchSpace, crossover, largest, mutate, sample, smallest
from tinygen.compiler import compile_model
from tinygen.options import CompileOptions, REFERENCE, SMALLEST_ARENA

BOARD = "nucleo_f411re"
SE_SPACE = SearchSpace(se=(False, True))


def tinygen(*args, cwd=REPO, timeout=600):
    return subprocess.run([sys.executable, "-m", "tinygen", *map(str, args)], capture_output=True, text=True, cwd=cwd,
                          timeout=timeout)


# --------------------------------------------------------------------------- no TensorFlow

def test_compiler_commands_do_not_load_tensorflow():
    script = f"""
import sys
import tinygen.cli
from click.testing import CliRunner
for args in (["inspect", r"{EXAMPLE}"], ["simulate", r"{EXAMPLE}", "--board", "{BOARD}", "--json"],
             ["search", "--help"]):
    result = CliRunner().invoke(tinygen.cli.cli, args)
    assert result.exit_code == 0, (args, result.output)
import tinygen.nas.graph, tinygen.nas.explore, tinygen.nas.search, tinygen.nas.data
print(sorted(m for m in sys.modules if m == "tensorflow" or m.startswith(("tensorflow.", "keras"))))
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]", result.stdout


def test_architectures_stay_in_the_space():
    rng = random.Random(0)
    space = SE_SPACE
    for _ in range(50):
        a = sample(space, 0.5, 64, rng)
        b = mutate(a, space, rng, p=0.5)
        c = crossover(a, b, rng)
        for arch in (a, b, c):
            assert set(arch.depths) <= set(space.depths) and set(arch.kernels) <= set(space.kernels)
            assert set(arch.expansions) <= set(space.expansions)
            plan = arch.plan(space, 2)
            assert len(plan.blocks) == 1 + sum(arch.depths)
            # skipped blocks are always residual ones, so every stage keeps its channels and stride
            for s, stage in enumerate(space.stages):
                first = plan.blocks[1 + sum(arch.depths[:s])]
                assert first.stride == stage.stride
    big, small = largest(space, 0.5, 64).plan(space, 2), smallest(space, 0.5, 64).plan(space, 2)
    assert len(big.blocks) > len(small.blocks)


def test_fast_planner_equals_compile_graph():
    """The shortcuts of the search's planner (cached stages, skipped placements) change nothing:
    peak SRAM and MACs as compile_graph(patch="auto", kernels="builtin") plans them."""
    board = get_board(BOARD)
    rng = random.Random(1)
    for width, resolution in ((0.35, 32), (0.5, 64), (0.75, 96), (0.35, 112)):
        evaluator = Evaluator(SE_SPACE, 3, 3, board, None, None)
        for _ in range(2):
            arch = sample(SE_SPACE, width, resolution, rng)
            plan = evaluator.plan(arch)
            fast = fast_peak(build_graph(plan), board)
            program = compile_plan(plan, board)
            assert fast.peak_sram == program.plan.arena_bytes, arch.describe(SE_SPACE)
            assert sram_lower_bound(plan) <= fast.peak_sram
            layer_based = compile_plan(plan, board, CompileOptions(patch="off"))
            assert fast.macs == layer_based.macs


def test_fit_check_agrees_with_the_exact_peak():
    board = get_board(BOARD)
    rng = random.Random(2)
    limit = 48 * 1024
    checker = Evaluator(SearchSpace(), 2, 3, board, limit, 400 * 1024)
    exact = Evaluator(SearchSpace(), 2, 3, board, None, None)
    for _ in range(12):
        arch = sample(SearchSpace(), rng.choice((0.35, 0.5, 0.75)), rng.choice((64, 96, 128)), rng)
        checked = checker.check(arch)
        peak = exact.measure(arch).peak_sram
        assert checked.fit == (peak <= limit and checked.flash <= 400 * 1024), arch.describe(SearchSpace())


def test_explore_is_reproducible_and_picks_a_fitting_space():
    from tinygen.nas.explore import Budget, explore
    from tinygen.nas.graph import CodeModel

    space = SearchSpace(widths=(0.35, 0.5), resolutions=(48, 64), depths=(1, 2))
    board = get_board(BOARD)
    runs = [explore(space, 2, 3, board, Budget(32 * 1024, 160 * 1024, None), CodeModel(), seed=3, seconds=None,
                    samples=4, workers=workers) for workers in (1, 2)]
    strip = lambda r: sorted(json.dumps(d, sort_keys=True) for d in r["results"])  # noqa: E731
    assert strip(runs[0]) == strip(runs[1])
    assert runs[0]["chosen"] == runs[1]["chosen"] and runs[0]["chosen"] is not None
    assert all(m["fits"] for m in runs[0]["pool"])


# --------------------------------------------------------------------------- data

def test_npz_data_and_split(tmp_path):
    from tinygen.errors import TinygenError
    from tinygen.nas.data import open_source

    rng = np.random.default_rng(0)
    path = tmp_path / "d.npz"
    np.savez(path, x_train=rng.integers(0, 256, (30, 20, 20), dtype=np.uint8), y_train=np.arange(30) % 3)
    source = open_source(path, seed=1, val_fraction=0.2)
    data = source.at(32)
    assert data.x_train.shape[1:] == (32, 32, 1) and data.classes == 3
    assert len(data.y_val) == 6 and sorted(np.bincount(data.y_val)) == [2, 2, 2]
    again = open_source(path, seed=1, val_fraction=0.2).at(32)
    assert np.array_equal(data.y_train, again.y_train) and np.array_equal(data.x_val, again.x_val)
    np.savez(tmp_path / "v.npz", x_train=rng.random((10, 16, 16, 3)), y_train=np.arange(10) % 2,
             x_val=rng.random((4, 16, 16, 3)), y_val=np.array([0, 1, 0, 1]))
    given = open_source(tmp_path / "v.npz").at(32)
    assert len(given.y_val) == 4 and len(given.y_train) == 10
    np.savez(tmp_path / "bad.npz", images=np.zeros((3, 8, 8)))
    with pytest.raises(TinygenError, match="x_train and y_train"):
        open_source(tmp_path / "bad.npz")


# --------------------------------------------------------------------------- bad input

def _image_folder(root: Path, classes=("hstripes", "vstripes", "blob"), per_class: int = 20, size: int = 40) -> Path:
    from PIL import Image

    sys.path.insert(0, str(REPO / "examples" / "models"))
    from make_tiny_cnn import draw

    rng = np.random.default_rng(0)
    for c, name in enumerate(classes):
        (root / name).mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            image = Image.fromarray((draw(c % 3, rng) * 255).astype(np.uint8)).resize((size, size))
            image.save(root / name / f"{i}.png")
    return root


def _one_line_error(result, *words):
    assert result.returncode == 2, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("tinygen: error:"), result.stderr
    for word in words:
        assert word in lines[0], lines[0]


def test_bad_input_is_one_line_and_exit_2(tmp_path):
    common = ["--board", BOARD, "--widths", "0.35", "--resolutions", "32", "--depths", "1,2"]
    _one_line_error(tinygen("search", "--data", tmp_path / "nowhere", "-o", tmp_path / "o1", *common), "no such data")
    data = _image_folder(tmp_path / "data", per_class=3)
    (data / "empty").mkdir()
    _one_line_error(tinygen("search", "--data", data, "-o", tmp_path / "o2", *common), "empty", "no images")
    (data / "empty").rmdir()
    _one_line_error(tinygen("search", "--data", data, "-o", tmp_path / "o3", "--sram", "2", "--flash", "16",
                            "--samples", "2", *common), "no architecture", "fits")
    _one_line_error(tinygen("search", "--data", data, "-o", tmp_path / "o4", "--board", "no_such_board"),
                    "unknown board")


# --------------------------------------------------------------------------- with TensorFlow

@pytest.mark.slow
def test_planner_graph_equals_converted_tflite(tmp_path):
    """The graph the search plans (built in tinygen's IR) is the one TFLiteConverter makes of the
    Keras model of the same architecture: same ops after the passes, same peak SRAM to the byte."""
    pytest.importorskip("tensorflow", reason="needs TensorFlow (pip install .[train])")
    from tinygen.nas.keras_models import build_keras, convert_int8
    from tinygen.passes import run_passes

    board = get_board(BOARD)
    rng = random.Random(4)
    for i, (width, resolution) in enumerate(((0.35, 32), (0.5, 48), (0.75, 64))):
        evaluator = Evaluator(SE_SPACE, 3, 3, board, None, None)
        arch = sample(SE_SPACE, width, resolution, rng)
        plan = evaluator.plan(arch)
        model = build_keras(plan)
        head = model.get_layer("classifier")
        kernel, bias = head.get_weights()
        head.set_weights([kernel * 1000, bias + np.arange(3)])  # random weights: give the logits a usable scale
        path = tmp_path / f"m{i}.tflite"
        convert_int8(model, np.random.default_rng(i).uniform(0, 1, (8, resolution, resolution, 3)), path)
        program = compile_model(path, SMALLEST_ARENA, board)
        graph = run_passes(build_graph(plan))
        assert [op.kind for op in program.graph.ops] == [op.kind for op in graph.ops], arch.describe(SE_SPACE)
        assert evaluator.measure(arch).peak_sram == program.plan.arena_bytes, arch.describe(SE_SPACE)


SEARCH = ["--board", BOARD, "--sram", "16", "--flash", "96", "--widths", "0.35", "--resolutions", "32",
          "--depths", "1,2", "--kernels", "3,5", "--expansions", "3,4", "--samples", "6", "--supernet-steps", "20",
          "--population", "4", "--generations", "2", "--finetune-epochs", "3", "--time-budget", "3", "--seed", "7"]


@pytest.fixture(scope="module")
def searched(tmp_path_factory):
    pytest.importorskip("tensorflow", reason="tinygen search needs TensorFlow (pip install .[train])")
    root = tmp_path_factory.mktemp("search")
    data = _image_folder(root / "data")
    out, firmware = root / "out", root / "firmware"
    args = ["search", "--data", data, "-o", out, "--generate", firmware, *SEARCH]
    result = tinygen(*args)
    assert result.returncode == 0, result.stderr[-3000:]
    return {"args": args, "out": out, "firmware": firmware, "stdout": result.stdout,
            "report": json.loads((out / "report.json").read_text())}


@pytest.mark.slow
def test_search_end_to_end(searched):
    out, report = searched["out"], searched["report"]
    assert (out / "model.tflite").exists() and (out / "pareto.png").stat().st_size > 10_000
    winner = report["winner"]
    assert winner["fits"] and winner["bit_exact"] and winner["sram_matches"]
    assert winner["peak_sram_bytes"] <= 16 * 1024 and winner["flash_bytes"] <= 96 * 1024
    assert report["evolution"]["generations"] == 3 and report["supernet"]["steps"] == 20
    assert len(report["candidates"]) >= 4 and all(c["fits"] for c in report["candidates"])
    assert 0.0 <= winner["val_accuracy_int8"] <= 1.0
    assert (searched["firmware"] / "platformio.ini").exists()  # --generate: `tinygen generate --board`
    assert "winner:" in searched["stdout"]


@pytest.mark.slow
def test_search_sram_is_what_simulate_reports(searched):
    result = tinygen("simulate", searched["out"] / "model.tflite", "--board", BOARD, "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["peak_sram_bytes"] == searched["report"]["winner"]["peak_sram_bytes"]


@pytest.mark.slow
def test_exported_model_is_bit_exact(searched):
    from tinygen.validate import validate

    model = searched["out"] / "model.tflite"
    assert validate(model, compile_model(model, REFERENCE), samples=10).max_abs_diff == 0


@pytest.mark.slow
def test_rerun_continues_from_checkpoints(searched):
    before = (searched["out"] / "model.tflite").read_bytes()
    result = tinygen(*searched["args"])
    assert result.returncode == 0, result.stderr[-2000:]
    report = json.loads((searched["out"] / "report.json").read_text())
    assert report["winner"] == searched["report"]["winner"]
    assert (searched["out"] / "model.tflite").read_bytes() == before
    other = tinygen(*[a if a != "7" else "8" for a in searched["args"]])
    assert other.returncode == 2 and "other settings" in other.stderr


@pytest.mark.slow
def test_same_seed_same_search(tmp_path, monkeypatch):
    """With fixed amounts of work, a seed fixes the search: the same candidates, the same scores."""
    pytest.importorskip("tensorflow")
    from tinygen.nas import search
    from tinygen.nas.search import Settings, phase_evolve, phase_explore, phase_supernet, prepare, _seed_everything

    # Flash measurements (C builds) are not what is checked here: skip them.
    monkeypatch.setattr(search, "_start_flash_calibration", lambda *args: None)
    monkeypatch.setattr(search, "_verified_winner", lambda ctx, evaluator, ranked: ranked[0])

    data = _image_folder(tmp_path / "data", per_class=10)
    results = []
    for run in range(2):
        settings = Settings(board=BOARD, data=str(data), out=str(tmp_path / f"o{run}"), sram_kb=16, flash_kb=96,
                            widths=(0.35,), resolutions=(32,), depths=(1, 2), kernels=(3, 5), expansions=(3,),
                            samples=4, supernet_steps=6, population=3, generations=1, seed=5, workers=1, quiet=True)
        ctx = prepare(settings)
        explored = phase_explore(ctx)
        _seed_everything(settings.seed, tensorflow=True)
        net = phase_supernet(ctx, explored)
        evolved = phase_evolve(ctx, explored, net)
        results.append([(c["key"], c["val_accuracy_inherited"], c["val_loss_inherited"]) for c in evolved["evaluated"]])
    assert results[0] == results[1]
