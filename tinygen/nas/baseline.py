"""The baseline the search is compared with: Keras' MobileNetV2 scaled down (width multiplier
alpha, input resolution) until it fits the same SRAM and flash per tinygen's planner, trained
from scratch on the same data for the same wall time. Needs TensorFlow.

The scaled network is the widest alpha of ALPHAS whose flash fits, at the highest resolution
of the search space whose peak SRAM (patch-based inference considered) fits, both measured on
the int8 .tflite the converter makes of it, as `tinygen simulate` measures it.
"""
from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from tinygen.nas.keras_models import convert_int8

ALPHAS = (0.35, 0.3, 0.25, 0.2, 0.15, 0.1, 0.05)


def build_mobilenet_v2(alpha: float, resolution: int, channels: int, classes: int):
    import tensorflow as tf

    return tf.keras.applications.MobileNetV2(input_shape=(resolution, resolution, channels), alpha=alpha,
                                             include_top=True, weights=None, classes=classes,
                                             classifier_activation="softmax")


def _weights_and_biases(model) -> tuple[int, int]:
    """Weights and per-channel biases after batch norms fold into the convolutions."""
    weights = bias = 0
    for layer in model.layers:
        kind = type(layer).__name__
        if kind in ("Conv2D", "DepthwiseConv2D", "Dense"):
            kernel = layer.get_weights()[0]
            weights += kernel.size
            bias += kernel.shape[-1] * (kernel.shape[-2] if kind == "DepthwiseConv2D" else 1)
    return weights, bias


def measure(alpha: float, resolution: int, channels: int, classes: int, board, code) -> dict:
    """Peak SRAM (exact) and flash (estimated with the search's code model) of the int8 model."""
    from tinygen.compiler import compile_model
    from tinygen.options import SMALLEST_ARENA
    from tinygen.nas.graph import op_counts
    from tinygen.simulate import constant_bytes

    model = build_mobilenet_v2(alpha, resolution, channels, classes)
    head = model.get_layer("predictions")
    kernel, bias = head.get_weights()
    head.set_weights([kernel * 1000.0, bias + np.arange(classes, dtype=np.float32)])  # a usable output scale
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory(prefix="tinygen-baseline-") as tmp:
        path = Path(tmp) / "m.tflite"
        convert_int8(model, rng.uniform(0, 1, (8, resolution, resolution, channels)), path)
        program = compile_model(path, SMALLEST_ARENA, board)
    constants = constant_bytes(s.call for s in program.steps if s.call.kind == "call")  # layer-based, as the code model counts
    return {"alpha": alpha, "resolution": resolution, "peak_sram_bytes": program.plan.arena_bytes,
            "flash_bytes_estimate": code.estimate(constants, op_counts(program)), "macs": program.macs,
            "patch": program.patch is not None}


def choose(resolutions, channels: int, classes: int, board, sram: int | None, flash: int | None, code,
           log=None) -> dict | None:
    """The widest alpha whose flash fits, at the highest resolution whose SRAM fits (None: none fits)."""
    tried = []
    for alpha in ALPHAS:
        model = build_mobilenet_v2(alpha, min(resolutions), channels, classes)
        weights, bias = _weights_and_biases(model)
        if flash is not None and weights + 4 * bias > flash:
            tried.append({"alpha": alpha, "skipped": "weights alone exceed the flash limit"})
            continue
        ordered = sorted(resolutions)
        low = measure(alpha, ordered[0], channels, classes, board, code)
        tried.append(low)
        if log:
            log(f"MobileNetV2 alpha {alpha} r{ordered[0]}: peak {low['peak_sram_bytes']:,} B, "
                f"flash ~{low['flash_bytes_estimate']:,} B")
        if (flash is not None and low["flash_bytes_estimate"] > flash) or (sram is not None and low["peak_sram_bytes"] > sram):
            continue
        best, lo, hi = low, 1, len(ordered) - 1  # binary search: peak SRAM grows with resolution
        while lo <= hi:
            mid = (lo + hi) // 2
            m = measure(alpha, ordered[mid], channels, classes, board, code)
            tried.append(m)
            if log:
                log(f"MobileNetV2 alpha {alpha} r{ordered[mid]}: peak {m['peak_sram_bytes']:,} B")
            fits = (sram is None or m["peak_sram_bytes"] <= sram) and (flash is None or m["flash_bytes_estimate"] <= flash)
            if fits:
                best, lo = m, mid + 1
            else:
                hi = mid - 1
        return {**best, "tried": tried}
    return None
