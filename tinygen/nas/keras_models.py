"""Keras models of an architecture's layer plan, and int8 conversion (needs TensorFlow).

The layers are chosen for what TFLiteConverter makes of them and tinygen compiles:
Conv2D/DepthwiseConv2D without bias + BatchNormalization (folded into the conv) + ReLU(6)
(fused), SAME padding (no PAD ops), Add(shortcut, branch), squeeze-excite with keepdims global
pooling and a sigmoid gate, GlobalAveragePooling2D (MEAN), Dense (FULLY_CONNECTED), Softmax.
tinygen.nas.graph builds the same int8 graph directly in tinygen's IR.

Layer names are the plan's positions ("stem", "b3_expand", "b3_dw", ...): the supernet copies
its weights into these layers by name.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from tinygen.nas.space import Plan


def _tf():
    import tensorflow as tf

    return tf


def build_keras(plan: Plan, dropout: float = 0.0):
    """A float Keras model for `plan`: input r x r x C in [0, 1], softmax output."""
    keras = _tf().keras
    L = keras.layers

    def conv_bn(x, channels, kernel, stride, name, activation):
        x = L.Conv2D(channels, kernel, strides=stride, padding="same" if kernel > 1 else "valid", use_bias=False,
                     name=name)(x)
        x = L.BatchNormalization(name=name + "_bn")(x)
        return L.ReLU(activation, name=name + "_relu")(x) if activation else x

    inputs = keras.Input((plan.resolution, plan.resolution, plan.in_channels), name="image")
    x = conv_bn(inputs, plan.stem, 3, 2, "stem", 6.0)
    for i, block in enumerate(plan.blocks):
        name = f"b{i}"
        shortcut = x
        h = conv_bn(x, block.mid, 1, 1, name + "_expand", 6.0) if block.expand else x
        h = L.DepthwiseConv2D(block.kernel, strides=block.stride, padding="same", use_bias=False, name=name + "_dw")(h)
        h = L.BatchNormalization(name=name + "_dw_bn")(h)
        h = L.ReLU(6.0, name=name + "_dw_relu")(h)
        if block.se:
            s = L.GlobalAveragePooling2D(keepdims=True, name=name + "_se_pool")(h)
            s = L.Conv2D(block.se, 1, activation="relu", name=name + "_se_reduce")(s)
            s = L.Conv2D(block.mid, 1, activation="sigmoid", name=name + "_se_expand")(s)
            h = L.Multiply(name=name + "_se")([h, s])
        h = conv_bn(h, block.cout, 1, 1, name + "_project", None)
        if block.residual:
            h = L.Add(name=name + "_add")([shortcut, h])
        x = h
    x = conv_bn(x, plan.head, 1, 1, "head", 6.0)
    x = L.GlobalAveragePooling2D(name="pool")(x)
    if dropout:
        x = L.Dropout(dropout, name="dropout")(x)
    x = L.Dense(plan.classes, name="classifier")(x)
    outputs = L.Softmax(name="softmax")(x)
    return keras.Model(inputs, outputs, name="tinygen_nas")


def convert_int8(model, representative: np.ndarray, path: Path | None = None) -> bytes:
    """Post-training int8 quantization with int8 input and output; `representative` holds
    float inputs (N, H, W, C) as the model sees them. Writes `path` when given."""
    tf = _tf()
    samples = np.asarray(representative, np.float32)

    def generate():
        for x in samples:
            yield [x[None]]

    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = generate
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = tf.int8
    converter.inference_output_type = tf.int8
    data = _quiet(converter.convert)
    if path is not None:
        Path(path).write_bytes(data)
    return data


def _quiet(fn):
    """Run fn with the converter's logging silenced (it prints pages of it, natively and from Python)."""
    import os
    import sys

    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            os.dup2(null.fileno(), 2)
            return fn()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        for fd, copy in zip((1, 2), saved):
            os.dup2(copy, fd)
            os.close(copy)
