"""Model inputs for validation and runs: random samples, .npy files and images.

Samples are of the model's own inputs (float32 for a float-input model, also with --io int8);
`tinygen.passes.int8_io.to_program_inputs` turns them into what the program reads."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from tinygen.errors import TinygenError
from tinygen.ir import Graph, Tensor
from tinygen.passes.int8_io import model_inputs

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".ppm", ".pgm"}


def _float_range(graph: Graph, t: Tensor) -> tuple[float, float]:
    """For a float input, the range its first QUANTIZE can represent (so random data is in range)."""
    for op in graph.consumers(t) + list(graph.dropped_io.values()):
        if op.inputs[0] is not t:
            continue
        q = op.outputs[0].quant
        if op.kind == "QUANTIZE" and q is not None:
            info = np.iinfo(op.outputs[0].dtype)
            return float(q.s) * (info.min - q.zp), float(q.s) * (info.max - q.zp)
    return -1.0, 1.0


def random_inputs(graph: Graph, count: int, seed: int = 0) -> list[list[np.ndarray]]:
    rng = np.random.default_rng(seed)
    samples = []
    for _ in range(count):
        sample = []
        for t in model_inputs(graph):
            if np.dtype(t.dtype).kind == "f":
                low, high = _float_range(graph, t)
                sample.append(rng.uniform(low, high, t.shape).astype(t.dtype))
            else:
                info = np.iinfo(t.dtype)
                sample.append(rng.integers(info.min, info.max, t.shape, endpoint=True, dtype=t.dtype))
        samples.append(sample)
    return samples


def image_to_input(path: Path, t: Tensor) -> np.ndarray:
    """An image resized (bilinear, in RGB) to the input's H x W, then grayscale for one channel,
    pixels scaled to [0, 1] then quantized with the input's scale and zero point."""
    from PIL import Image

    if len(t.shape) != 4 or t.shape[3] not in (1, 3):
        raise TinygenError(f"{path}: an image needs an NHWC input with 1 or 3 channels, input is {t.shape}")
    try:
        image = Image.open(path).convert("RGB")
    except OSError as e:
        raise TinygenError(f"{path}: not a readable image ({e})") from None
    # resized in color, then gray: as the demo's preprocessing (and the reference accuracies) do
    image = image.resize((t.shape[2], t.shape[1]), Image.BILINEAR)
    if t.shape[3] == 1:
        image = image.convert("L")
    pixels = np.asarray(image, np.float32).reshape(t.shape) / 255.0
    if np.dtype(t.dtype).kind == "f":
        return pixels.astype(t.dtype)
    info = np.iinfo(t.dtype)
    q = np.round(pixels / t.quant.s) + t.quant.zp
    return np.clip(q, info.min, info.max).astype(t.dtype)


def load_inputs(graph: Graph, files) -> list[list[np.ndarray]]:
    """One sample per file for single-input models: .npy arrays (exact shape) or images."""
    if not files:
        return []
    if len(graph.inputs) != 1:
        raise TinygenError(f"--input files feed single-input models; this one has {len(graph.inputs)} inputs")
    t = model_inputs(graph)[0]
    samples = []
    for f in map(Path, files):
        if not f.exists():
            raise TinygenError(f"{f}: no such file")
        if f.suffix.lower() in IMAGE_SUFFIXES:
            samples.append([image_to_input(f, t)])
            continue
        if f.suffix.lower() != ".npy":
            raise TinygenError(f"{f}: unknown input format (use .npy or an image: {', '.join(sorted(IMAGE_SUFFIXES))})")
        try:
            x = np.load(f, allow_pickle=False)
        except ValueError as e:
            raise TinygenError(f"{f}: not a readable .npy file ({e})") from None
        if x.size != t.size:
            raise TinygenError(f"{f}: shape {x.shape} does not fit input '{t.name}' {t.shape}")
        if x.dtype != np.dtype(t.dtype):
            raise TinygenError(f"{f}: dtype {x.dtype}, input '{t.name}' is {t.dtype}")
        samples.append([x.reshape(t.shape)])
    return samples
