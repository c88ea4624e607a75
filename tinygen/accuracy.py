"""How far the quantized model is from its float original, as STM32Cube.AI's `validate` reports
it: the generated code and the float model (in TFLite Micro) run on the same real-valued inputs,
and per output the RMSE, MAE, L2 relative error and cosine similarity of the generated code's
real-valued outputs against the float model's; with labelled data, the accuracy of both."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from tinygen.errors import TinygenError
from tinygen.frontend import load_model
from tinygen.inputs import float_range
from tinygen.ir import Graph, Tensor
from tinygen.passes.int8_io import model_inputs, model_outputs
from tinygen.preprocess import IMAGE_SUFFIXES, infer_preprocess, representable_range


@dataclass
class OutputMetrics:
    name: str
    rmse: float
    mae: float
    l2r: float  # ||ours - float|| / ||float||
    cosine: float


@dataclass
class FloatComparison:
    float_model: str
    samples: int
    outputs: list[OutputMetrics] = field(default_factory=list)
    labelled: int = 0
    accuracy: float | None = None  # the generated code's, on the labelled samples (first output's arg max)
    float_accuracy: float | None = None


@dataclass
class RealData:
    """Samples of real values for each model input, and a class label per sample (or None)."""
    samples: list[list[np.ndarray]]
    labels: list[int] | None = None


# --------------------------------------------------------------------------- the data

def real_data(graph: Graph, data: Path | None, count: int, seed: int, preprocess: dict | None = None) -> RealData:
    """--data as real values: a .npz with `x` (and optional integer labels `y`), a folder of
    images (in class subfolders, labelled in sorted order, or loose: unlabelled); without it,
    `count` random samples within what each input's quantization represents."""
    if data is None:
        return RealData(_random_real(graph, count, seed))
    data = Path(data)
    if data.is_dir():
        return _images(graph, data, preprocess)
    if data.suffix.lower() == ".npz":
        return _npz(graph, data)
    raise TinygenError(f"{data}: --data is a folder of images or a .npz file with arrays x (and y)")


def _random_real(graph: Graph, count: int, seed: int) -> list[list[np.ndarray]]:
    rng = np.random.default_rng(seed)
    return [[rng.uniform(*_real_range(graph, t), t.shape).astype(np.float32) for t in model_inputs(graph)]
            for _ in range(count)]


def _real_range(graph: Graph, t: Tensor) -> tuple[float, float]:
    return float_range(graph, t) if np.dtype(t.dtype).kind == "f" else representable_range(t)


def _single_input(graph: Graph, data: Path) -> Tensor:
    if len(graph.inputs) != 1:
        raise TinygenError(f"{data}: --data feeds single-input models; this one has {len(graph.inputs)} inputs")
    return model_inputs(graph)[0]


def _images(graph: Graph, folder: Path, preprocess: dict | None) -> RealData:
    t = _single_input(graph, folder)
    is_image = lambda p: p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES
    classes = sorted(p for p in folder.iterdir() if p.is_dir() and any(map(is_image, p.iterdir())))
    files = ([(f, label) for label, c in enumerate(classes) for f in sorted(c.iterdir()) if is_image(f)]
             if classes else [(f, None) for f in sorted(folder.iterdir()) if is_image(f)])
    if not files:
        raise TinygenError(f"{folder}: no images ({', '.join(sorted(IMAGE_SUFFIXES))}), loose or in class subfolders")
    steps = infer_preprocess(t, preprocess)
    return RealData([[steps.values(f)] for f, _ in files], [label for _, label in files] if classes else None)


def _npz(graph: Graph, path: Path) -> RealData:
    t = _single_input(graph, path)
    try:
        with np.load(path, allow_pickle=False) as arrays:
            x = np.asarray(arrays["x"], np.float32)
            y = np.asarray(arrays["y"]) if "y" in arrays else None
    except (OSError, ValueError, KeyError) as e:
        raise TinygenError(f"{path}: not a .npz with an array x of inputs ({e})") from None
    per_sample = int(np.prod(t.shape[1:], dtype=np.int64)) * t.shape[0] if t.shape else 1
    if x.size == 0 or x.size % per_sample:
        raise TinygenError(f"{path}: x has shape {list(x.shape)}, not samples of input '{t.name}' {list(t.shape)}")
    x = x.reshape(-1, *t.shape)
    if y is not None and (y.shape != (len(x),) or y.dtype.kind not in "iu"):
        raise TinygenError(f"{path}: y must hold one integer label per sample of x ({len(x)}), has shape {list(y.shape)}")
    return RealData([[sample] for sample in x], None if y is None else [int(v) for v in y])


def to_model_inputs(graph: Graph, sample: list[np.ndarray]) -> list[np.ndarray]:
    """Real values in each model input's own type: as they are for float inputs, quantized as
    TFLite's QUANTIZE does (round half away from zero, clamp) for integer ones."""
    converted = []
    for t, x in zip(model_inputs(graph), sample):
        if np.dtype(t.dtype).kind == "f":
            converted.append(np.asarray(x, t.dtype))
            continue
        info = np.iinfo(t.dtype)
        scaled = (np.asarray(x, np.float32) / np.float32(t.quant.s)).astype(np.float64)  # in float, as TFLite
        q = np.where(scaled >= 0, np.floor(scaled + 0.5), np.ceil(scaled - 0.5)) + t.quant.zp
        converted.append(np.clip(q, info.min, info.max).astype(t.dtype))
    return converted


def real_outputs(graph: Graph, sample: list[np.ndarray]) -> list[np.ndarray]:
    """The model's outputs as real values (quantized ones dequantized)."""
    values = []
    for t, y in zip(model_outputs(graph), sample):
        y = np.asarray(y, np.float64)
        values.append(y if np.dtype(t.dtype).kind == "f" else (y - t.quant.zp) * float(t.quant.s))
    return values


# --------------------------------------------------------------------------- the comparison

def float_model_graph(float_model: Path, graph: Graph) -> Graph:
    """The float original, checked to take float inputs and give outputs shaped as the model's."""
    original = load_model(float_model)
    for name, ours, theirs in (("inputs", model_inputs(graph), original.inputs),
                               ("outputs", model_outputs(graph), original.outputs)):
        if [list(t.shape) for t in ours] != [list(t.shape) for t in theirs]:
            raise TinygenError(f"{float_model}: its {name} have shapes {[list(t.shape) for t in theirs]}, "
                               f"the model's {[list(t.shape) for t in ours]}")
    if any(t.dtype != "float32" for t in original.inputs):
        raise TinygenError(f"{float_model}: a float model takes float32 inputs, this one "
                           f"{', '.join(t.dtype for t in original.inputs)}")
    return original


def compare_with_float(float_model: Path, float_graph: Graph, data: RealData,
                       ours: list[list[np.ndarray]]) -> FloatComparison:
    """`ours`: the real-valued outputs of the generated code for data.samples."""
    from tinygen.oracle import run_tflm

    theirs = run_tflm(float_model, data.samples, len(float_graph.outputs))
    metrics = [output_metrics(t.name, [o[i] for o in ours], [r[i] for r in theirs])
               for i, t in enumerate(float_graph.outputs)]
    report = FloatComparison(str(float_model), len(data.samples), metrics)
    if data.labels is not None:
        report.labelled = len(data.labels)
        report.accuracy = _accuracy([o[0] for o in ours], data.labels)
        report.float_accuracy = _accuracy([r[0] for r in theirs], data.labels)
    return report


def output_metrics(name: str, ours: list[np.ndarray], theirs: list[np.ndarray]) -> OutputMetrics:
    a = np.concatenate([np.ravel(np.asarray(x, np.float64)) for x in ours])
    b = np.concatenate([np.ravel(np.asarray(x, np.float64)) for x in theirs])
    diff = a - b
    norms = np.linalg.norm(a) * np.linalg.norm(b)
    return OutputMetrics(name, rmse=float(np.sqrt(np.mean(diff ** 2))), mae=float(np.mean(np.abs(diff))),
                         l2r=float(np.linalg.norm(diff) / np.linalg.norm(b)) if np.any(b) else float(np.linalg.norm(diff)),
                         cosine=float(np.dot(a, b) / norms) if norms else float(not np.any(diff)))


def _accuracy(outputs: list[np.ndarray], labels: list[int]) -> float:
    predicted = [int(np.argmax(np.ravel(y))) for y in outputs]
    return float(np.mean([p == label for p, label in zip(predicted, labels)]))
