"""Training: the supernet (sandwich rule, in-place distillation), sub-network scoring with
recalibrated batch norms, and plain Keras training of a standalone model (fine-tuning the
winner, and the baseline) on a time budget. Needs TensorFlow.
"""
from __future__ import annotations

import math
import time

import numpy as np

from tinygen.nas.supernet import Supernet


def _tf():
    import tensorflow as tf

    return tf


def augment(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Random horizontal flips, shifts of up to 1/8 of the size (edge padding), and brightness and
    contrast jitter, from a seeded generator (so a seed reproduces the images seen)."""
    n, h, w, _ = x.shape
    pad = max(1, h // 8)
    padded = np.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)), mode="edge")
    dy, dx = rng.integers(0, 2 * pad + 1, n), rng.integers(0, 2 * pad + 1, n)
    out = np.stack([padded[i, dy[i]:dy[i] + h, dx[i]:dx[i] + w] for i in range(n)])
    flip = rng.random(n) < 0.5
    out[flip] = out[flip, :, ::-1]
    contrast = rng.uniform(0.8, 1.2, (n, 1, 1, 1)).astype(np.float32)
    brightness = rng.uniform(-0.1, 0.1, (n, 1, 1, 1)).astype(np.float32)
    mean = out.mean(axis=(1, 2, 3), keepdims=True)
    return np.clip((out - mean) * contrast + mean + brightness, 0.0, 1.0).astype(np.float32)


def cosine_lr(base: float, progress: float, warmup: float = 0.05) -> float:
    if progress < warmup:
        return base * max(progress, 0.01) / warmup
    return 0.5 * base * (1.0 + math.cos(math.pi * min(1.0, (progress - warmup) / (1.0 - warmup))))


class SupernetTrainer:
    """AdamW on the supernet's variables. One step trains several sub-networks on one batch: the
    first (the largest) on the labels, the others on a mix of the labels and its predictions
    (in-place distillation); their gradients are summed, then applied once."""

    def __init__(self, net: Supernet, weight_decay: float = 5e-5, distill: float = 0.5):
        tf = _tf()
        self.net = net
        self.weight_decay, self.distill = weight_decay, distill
        self.m = [tf.Variable(tf.zeros_like(v), trainable=False) for v in net.trainable]
        self.v = [tf.Variable(tf.zeros_like(v), trainable=False) for v in net.trainable]
        self.g = [tf.Variable(tf.zeros_like(v), trainable=False) for v in net.trainable]
        self.t = tf.Variable(0.0, trainable=False)
        self._accumulate = tf.function(self._accumulate_impl, autograph=False, reduce_retracing=True)
        self._apply = tf.function(self._apply_impl, autograph=False)

    def _accumulate_impl(self, x, y, soft, config, hard_weight, soft_weight):
        """Adds the gradient of hard_weight * CE(labels) + soft_weight * CE(soft targets) to the
        accumulators; returns the hard loss and the predictions."""
        tf = _tf()
        with tf.GradientTape() as tape:
            logits, _ = self.net._forward_impl(x, config, tf.shape(x)[0])
            hard = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(y, logits))
            kd = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(soft, logits))
            total = hard_weight * hard + soft_weight * kd
        for acc, g in zip(self.g, tape.gradient(total, self.net.trainable)):
            acc.assign_add(g)
        return hard, tf.nn.softmax(logits)

    def _apply_impl(self, lr):
        tf = _tf()
        self.t.assign_add(1.0)
        b1, b2 = 0.9, 0.999
        correction = tf.sqrt(1.0 - b2 ** self.t) / (1.0 - b1 ** self.t)
        for var, g, m, v in zip(self.net.trainable, self.g, self.m, self.v):
            m.assign(b1 * m + (1.0 - b1) * g)
            v.assign(b2 * v + (1.0 - b2) * g * g)
            decay = self.weight_decay if len(var.shape) > 1 else 0.0
            var.assign_sub(lr * (correction * m / (tf.sqrt(v) + 1e-7) + decay * var))
            g.assign(tf.zeros_like(g))
        return self.t

    def step(self, x: np.ndarray, y: np.ndarray, configs: np.ndarray, lr: float) -> float:
        """One update from configs[0] (trained on the labels) and configs[1:] (distilled)."""
        tf = _tf()
        x, y = tf.constant(x, tf.float32), tf.constant(y, tf.int32)
        soft = tf.zeros((x.shape[0], self.net.classes), tf.float32)
        one, zero = tf.constant(1.0), tf.constant(0.0)
        loss, soft = self._accumulate(x, y, soft, tf.constant(configs[0], tf.float32), one, zero)
        hard_w, soft_w = tf.constant(1.0 - self.distill), tf.constant(self.distill)
        for config in configs[1:]:
            self._accumulate(x, y, soft, tf.constant(config, tf.float32), hard_w, soft_w)
        self._apply(tf.constant(lr, tf.float32))
        return float(loss)

    def state(self) -> dict[str, np.ndarray]:
        state = {f"adam_m/{i}": m.numpy() for i, m in enumerate(self.m)}
        state.update({f"adam_v/{i}": v.numpy() for i, v in enumerate(self.v)})
        state["adam_t"] = np.array(self.t.numpy())
        return state

    def load_state(self, state: dict) -> None:
        for i, m in enumerate(self.m):
            m.assign(state[f"adam_m/{i}"])
        for i, v in enumerate(self.v):
            v.assign(state[f"adam_v/{i}"])
        self.t.assign(float(state["adam_t"]))


def score_subnet(net: Supernet, arch, calibration: np.ndarray, x_val: np.ndarray, y_val: np.ndarray,
                 chunk: int = 128) -> tuple[float, float]:
    """Validation accuracy and loss of a sub-network with inherited weights, its batch norms
    recalibrated on `calibration` (training images)."""
    tf = _tf()
    config = net.config(arch)
    correct, loss, n_cal = 0, 0.0, len(calibration)
    for start in range(0, len(x_val), chunk):
        x = np.concatenate([calibration, x_val[start:start + chunk]])
        logits, _ = net.logits(x, config, n_cal)
        logits = logits[n_cal:]
        y = y_val[start:start + chunk]
        correct += int((np.argmax(logits.numpy(), axis=1) == y).sum())
        loss += float(tf.reduce_sum(tf.nn.sparse_softmax_cross_entropy_with_logits(tf.constant(y, tf.int32), logits)))
    return correct / max(len(x_val), 1), loss / max(len(x_val), 1)


def batches(n: int, size: int, rng: np.random.Generator):
    """Endless shuffled mini-batches of indices (an epoch at a time; the last partial batch is
    dropped when there is more than one)."""
    size = min(size, n)
    while True:
        order = rng.permutation(n)
        for start in range(0, n - size + 1, size):
            yield order[start:start + size]


# --------------------------------------------------------------------------- standalone Keras models

def evaluate_keras(model, x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Accuracy and mean cross-entropy of a softmax classifier (inference mode)."""
    if len(y) == 0:
        return 0.0, 0.0
    probs = np.concatenate([np.asarray(model(x[i:i + 64], training=False)) for i in range(0, len(x), 64)])
    accuracy = float((np.argmax(probs, axis=1) == y).mean()) if len(y) else 0.0
    loss = float(-np.log(np.clip(probs[np.arange(len(y)), y], 1e-7, 1.0)).mean()) if len(y) else 0.0
    return accuracy, loss


def train_keras(model, data, seconds: float | None, epochs: int | None, seed: int, lr: float = 2e-3,
                batch_size: int = 32, progress=None) -> dict:
    """Train a Keras classifier (softmax output) on data.x_train with augmentation, for `epochs`
    epochs when given, else until `seconds` have passed (cosine learning rate over the time).
    The weights of the epoch with the best validation accuracy (then the lowest validation loss)
    are kept."""
    tf = _tf()
    rng = np.random.default_rng(seed)
    optimizer = tf.keras.optimizers.AdamW(learning_rate=lr, weight_decay=5e-5)
    loss_fn = tf.keras.losses.SparseCategoricalCrossentropy()

    @tf.function(reduce_retracing=True)
    def train_step(x, y, rate):
        optimizer.learning_rate.assign(rate)
        with tf.GradientTape() as tape:
            loss = loss_fn(y, model(x, training=True))
        optimizer.apply_gradients(zip(tape.gradient(loss, model.trainable_variables), model.trainable_variables))
        return loss

    n = len(data.y_train)
    size = min(batch_size, n)
    steps_per_epoch = max(1, n // size)
    best = {"accuracy": -1.0, "loss": math.inf, "epoch": -1, "weights": None}
    start, epoch, history = time.monotonic(), 0, []
    while True:
        elapsed = time.monotonic() - start
        if epochs is not None and epoch >= epochs:
            break
        if epochs is None and epoch > 0 and elapsed + elapsed / epoch > (seconds or 0):
            break  # another epoch would overrun the time
        progress_fraction = epoch / epochs if epochs else min(1.0, elapsed / max(seconds or 1, 1e-9))
        order = rng.permutation(n)
        losses = []
        for s in range(steps_per_epoch):
            index = order[s * size:(s + 1) * size]
            fraction = progress_fraction + (s / steps_per_epoch) * (1 / epochs if epochs else 0)
            rate = cosine_lr(lr, min(fraction, 1.0))
            losses.append(float(train_step(tf.constant(augment(data.x_train[index], rng)),
                                           tf.constant(data.y_train[index], tf.int32), tf.constant(rate, tf.float32))))
        accuracy, val_loss = evaluate_keras(model, data.x_val, data.y_val)
        history.append({"epoch": epoch, "train_loss": float(np.mean(losses)), "val_accuracy": accuracy,
                        "val_loss": val_loss})
        if (accuracy, -val_loss) > (best["accuracy"], -best["loss"]):
            best = {"accuracy": accuracy, "loss": val_loss, "epoch": epoch, "weights": model.get_weights()}
        epoch += 1
        if progress is not None:
            progress(epoch, time.monotonic() - start, accuracy)
    if best["weights"] is not None:
        model.set_weights(best["weights"])
    return {"epochs": epoch, "seconds": round(time.monotonic() - start, 1), "best_epoch": best["epoch"],
            "val_accuracy": best["accuracy"], "val_loss": best["loss"], "history": history}
