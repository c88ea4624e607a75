"""Build small Keras models, quantize them to int8 with TFLiteConverter, and check them bit-exact.

TensorFlow is imported lazily: only tests that build models need it.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest


def tf():
    return pytest.importorskip("tensorflow", reason="building test models needs TensorFlow (pip install .[test])")


def quantize(model, path: Path, input_shapes=None, samples: int = 32, seed: int = 0,
             io_dtype: str = "int8", low: float = -1.0, high: float = 1.0) -> Path:
    """int8 post-training quantization with a random representative set; returns the .tflite path.

    io_dtype "int8" gives int8 model inputs/outputs; "float32" keeps float I/O (QUANTIZE/DEQUANTIZE
    ops at the boundary); "uint8" gives uint8 I/O.
    """
    tensorflow = tf()
    rng = np.random.default_rng(seed)
    shapes = input_shapes or [tuple(i.shape) for i in model.inputs]
    shapes = [(1,) + tuple(s[1:]) for s in shapes]

    def representative():
        for _ in range(samples):
            yield [rng.uniform(low, high, s).astype(np.float32) for s in shapes]

    converter = tensorflow.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tensorflow.lite.Optimize.DEFAULT]
    converter.representative_dataset = representative
    converter.target_spec.supported_ops = [tensorflow.lite.OpsSet.TFLITE_BUILTINS_INT8]
    if io_dtype != "float32":
        converter.inference_input_type = getattr(tensorflow, io_dtype)
        converter.inference_output_type = getattr(tensorflow, io_dtype)
    path.write_bytes(converter.convert())
    return path


def keras_model(build, input_shapes):
    """A functional Keras model: build(*inputs) -> output tensor(s). Shapes exclude the batch."""
    keras = tf().keras
    inputs = [keras.Input(shape=s, batch_size=1) for s in input_shapes]
    return keras.Model(inputs, build(*inputs))


def assert_bit_exact(path: Path, samples: int = 10):
    from tinygen.validate import validate

    report = validate(path, samples=samples)
    assert report.max_abs_diff == 0, report
    return report


def lambda_layer(fn):
    return tf().keras.layers.Lambda(fn)


def check_ops(model, path: Path, *kinds: str, **quantize_args):
    """Quantize, make sure the ops under test survived conversion, and compare with TFLM."""
    from tinygen.frontend import load_model

    path = quantize(model, path, **quantize_args)
    present = [op.kind for op in load_model(path).ops]
    for kind in kinds:
        assert kind in present, (kind, present)
    return assert_bit_exact(path, samples=8)
