"""Samples for validation and runs: model inputs (random, .npy files and images) and the outputs
the generated code writes back.

Samples are of the model's own inputs (float32 for a float-input model, also with --io int8);
`tinygen.passes.int8_io.to_program_inputs` turns them into what the program reads."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from tinygen.errors import TinygenError
from tinygen.ir import Graph, Tensor
from tinygen.passes.int8_io import model_inputs
from tinygen.preprocess import IMAGE_SUFFIXES, infer_preprocess



def float_range(graph: Graph, t: Tensor) -> tuple[float, float]:
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
                low, high = float_range(graph, t)
                sample.append(rng.uniform(low, high, t.shape).astype(t.dtype))
            else:
                info = np.iinfo(t.dtype)
                sample.append(rng.integers(info.min, info.max, t.shape, endpoint=True, dtype=t.dtype))
        samples.append(sample)
    return samples


def load_inputs(graph: Graph, files, preprocess: dict | None = None) -> list[list[np.ndarray]]:
    """One sample per file for single-input models: .npy arrays (exact shape) or images,
    preprocessed as tinygen.preprocess infers from the input (`preprocess`: its overrides)."""
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
            samples.append([infer_preprocess(t, preprocess).tensor(f)])
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


def join_inputs(samples: list[list[np.ndarray]], inputs: list[Tensor]) -> bytes:
    """The input tensors of the samples as the generated runners read them: every input's raw
    bytes, in order, one sample after another (inputs.bin)."""
    return b"".join(np.ascontiguousarray(x, dtype=t.dtype).reshape(t.shape).tobytes()
                    for sample in samples for x, t in zip(sample, inputs))


def split_outputs(raw: bytes, outputs: list[Tensor], count: int, writer: str) -> list[list[np.ndarray]]:
    """The output tensors of `count` samples, as the generated code writes them one after another."""
    per_sample = sum(t.nbytes for t in outputs)
    if len(raw) != per_sample * count:
        raise TinygenError(f"{writer} wrote {len(raw)} output bytes, expected {per_sample * count}")
    results, pos = [], 0
    for _ in range(count):
        sample = []
        for t in outputs:
            sample.append(np.frombuffer(raw, dtype=t.dtype, count=t.size, offset=pos).reshape(t.shape).copy())
            pos += t.nbytes
        results.append(sample)
    return results
