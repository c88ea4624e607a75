"""Train and int8-quantize tinygen's built-in example model (needs TensorFlow: pip install '.[train]').

A small residual CNN that tells three procedurally drawn patterns apart (horizontal stripes,
vertical stripes, a bright blob) in 32x32 RGB images. It exists so that tinygen has a real
int8 model of its own to compile with no downloads; it touches the common op set:
CONV_2D, DEPTHWISE_CONV_2D, ADD, MAX_POOL_2D, MEAN, FULLY_CONNECTED, SOFTMAX.

    python examples/models/make_tiny_cnn.py   # rewrites examples/models/tiny_cnn_int8.tflite
"""
from pathlib import Path

import numpy as np

SIZE, CLASSES = 32, 3


def draw(label: int, rng: np.random.Generator) -> np.ndarray:
    y, x = np.mgrid[0:SIZE, 0:SIZE].astype(np.float32)
    period = rng.uniform(3, 8)
    if label == 0:
        pattern = np.sin(y * 2 * np.pi / period)
    elif label == 1:
        pattern = np.sin(x * 2 * np.pi / period)
    else:
        cy, cx, r = rng.uniform(8, 24, 2).tolist() + [rng.uniform(4, 10)]
        pattern = np.exp(-((y - cy) ** 2 + (x - cx) ** 2) / (2 * r * r)) * 2 - 1
    color = rng.uniform(0.3, 1.0, 3)
    image = 0.5 + 0.5 * pattern[..., None] * color + rng.normal(0, 0.1, (SIZE, SIZE, 3))
    return np.clip(image, 0, 1).astype(np.float32)


def dataset(count: int, seed: int):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, CLASSES, count)
    return np.stack([draw(int(c), rng) for c in labels]), labels


def build(keras):
    L = keras.layers
    inputs = keras.Input((SIZE, SIZE, 3), batch_size=1)
    x = L.Conv2D(8, 3, strides=2, padding="same", activation="relu6")(inputs)
    branch = L.DepthwiseConv2D(3, padding="same", activation="relu")(x)
    branch = L.Conv2D(8, 1)(branch)
    x = L.Add()([x, branch])
    x = L.MaxPooling2D(2)(x)
    x = L.Conv2D(16, 3, padding="same", activation="relu")(x)
    x = L.GlobalAveragePooling2D()(x)
    outputs = L.Softmax()(L.Dense(CLASSES)(x))
    return keras.Model(inputs, outputs)


def main() -> None:
    import tensorflow as tf

    tf.keras.utils.set_random_seed(0)
    train_x, train_y = dataset(1500, seed=1)
    test_x, test_y = dataset(300, seed=2)
    model = build(tf.keras)
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(train_x, train_y, batch_size=32, epochs=4, verbose=2)
    print("float test accuracy:", model.evaluate(test_x, test_y, verbose=0)[1])

    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = lambda: ([x[None]] for x in train_x[:200])
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = tf.int8
    converter.inference_output_type = tf.int8
    out = Path(__file__).with_name("tiny_cnn_int8.tflite")
    out.write_bytes(converter.convert())
    print(f"wrote {out} ({out.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
