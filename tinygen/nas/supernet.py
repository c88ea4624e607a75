"""The weight-sharing supernet: one network with the largest choices, sub-networks by masking.

For a space fixed by step 1 (width multiplier and resolution), every block of the largest
architecture exists once. A sub-network is a vector of masks the same compiled graph reads:
- kernel size: the centred k x k window of the largest depthwise kernel (the rest zeroed); with
  SAME padding this is exactly a k x k depthwise convolution, for stride 1 and 2;
- expansion ratio: the first cin * e channels of the expansion (the rest zeroed after each
  activation), so the projection reads only those;
- depth: a skipped block is a residual block whose branch is multiplied by 0;
- squeeze-excite (when searched): the gate is blended in by a 0/1 switch, its squeeze channels
  masked like the expansion.
Masking keeps one graph for every sub-network (no retracing), at the cost of computing at the
largest size.

Batch normalization uses statistics of the batch it is given, or of the first `n_stat` rows:
an evaluation passes a calibration batch of training images followed by the images to score,
so every sub-network is scored with batch-norm statistics recalibrated for it.

Training (see train_supernet) follows the sandwich rule with in-place distillation: each step
trains the largest network on the labels, and the smallest and a few random fitting
sub-networks on the labels and the largest network's predictions, after a warm-up on the
largest alone. Weights are plain tf.Variables updated by a hand-written AdamW.
"""
from __future__ import annotations

import math

import numpy as np

from tinygen.nas.space import Arch, Block, Plan, SearchSpace, largest

BN_EPS = 1e-3  # Keras BatchNormalization's default, so exported statistics mean the same


def _tf():
    import tensorflow as tf

    return tf


class Supernet:
    def __init__(self, space: SearchSpace, width: float, resolution: int, classes: int, in_channels: int,
                 seed: int = 0):
        tf = _tf()
        self.space, self.width, self.resolution = space, width, resolution
        self.classes, self.in_channels = classes, in_channels
        self.top = largest(space, width, resolution)
        self.plan_max: Plan = self.top.plan(space, classes, in_channels)
        self.k_max = max(space.kernels)
        self.searched_se = True in space.se
        rng = np.random.default_rng(seed)
        self.variables: dict[str, tf.Variable] = {}

        def he(shape, fan_in):
            return rng.normal(0.0, math.sqrt(2.0 / fan_in), shape).astype(np.float32)

        def add(name, value, trainable=True):
            self.variables[name] = tf.Variable(value, name=name.replace("/", "_"), trainable=trainable)

        def bn(name, channels):
            add(name + "/gamma", np.ones(channels, np.float32))
            add(name + "/beta", np.zeros(channels, np.float32))

        p = self.plan_max
        add("stem/w", he((3, 3, in_channels, p.stem), 9 * in_channels))
        bn("stem/bn", p.stem)
        self.segments = []  # per block: offsets of its masks in the config vector
        offset = 0
        for i, block in enumerate(p.blocks):
            name = f"b{i}"
            k = self.k_max if block.expand else block.kernel
            if block.expand:
                add(name + "/expand/w", he((1, 1, block.cin, block.mid), block.cin))
                bn(name + "/expand/bn", block.mid)
            add(name + "/dw/w", he((k, k, block.mid, 1), k * k))
            bn(name + "/dw/bn", block.mid)
            se = self._se_max(block)
            if se:
                add(name + "/se_reduce/w", he((1, 1, block.mid, se), block.mid))
                add(name + "/se_reduce/b", np.zeros(se, np.float32))
                add(name + "/se_expand/w", he((1, 1, se, block.mid), se) * 0.1)
                add(name + "/se_expand/b", np.full(block.mid, 2.0, np.float32))  # gates start near 1
            add(name + "/project/w", he((1, 1, block.mid, block.cout), block.mid))
            bn(name + "/project/bn", block.cout)
            size = {"active": 1, "se_on": 1, "kernel": k * k if block.expand else 0,
                    "channels": block.mid if block.expand else 0, "squeeze": se}
            segment = {}
            for key, n in size.items():
                segment[key] = (offset, n)
                offset += n
            self.segments.append(segment)
        self.config_size = offset
        add("head/w", he((1, 1, p.blocks[-1].cout, p.head), p.blocks[-1].cout))
        bn("head/bn", p.head)
        limit = math.sqrt(6.0 / (p.head + classes))
        add("classifier/w", rng.uniform(-limit, limit, (p.head, classes)).astype(np.float32))
        add("classifier/b", np.zeros(classes, np.float32))
        self.trainable = list(self.variables.values())
        self._forward = tf.function(self._forward_impl, autograph=False, reduce_retracing=True)

    def _se_max(self, block: Block) -> int:
        if not self.searched_se or not block.expand:
            return 0
        from tinygen.nas.space import make_divisible

        return make_divisible(block.mid / self.space.se_ratio)

    # ------------------------------------------------------------------ sub-network masks

    def config(self, arch: Arch) -> np.ndarray:
        """The mask vector selecting `arch` (an architecture of this supernet's width and resolution)."""
        if arch.width != self.width or arch.resolution != self.resolution:
            raise ValueError(f"{arch} is not in the supernet's space (w{self.width} r{self.resolution})")
        plan = arch.plan(self.space, self.classes, self.in_channels)
        vector = np.zeros(self.config_size, np.float32)
        active = self._positions(arch)
        for position, block in zip(active, plan.blocks):
            segment = self.segments[position]
            top = self.plan_max.blocks[position]
            vector[segment["active"][0]] = 1.0
            vector[segment["se_on"][0]] = 1.0 if block.se else 0.0
            if top.expand:
                k, start = self.k_max, segment["kernel"][0]
                mask = np.zeros((k, k), np.float32)
                lo = (k - block.kernel) // 2
                mask[lo:lo + block.kernel, lo:lo + block.kernel] = 1.0
                vector[start:start + k * k] = mask.reshape(-1)
                vector[segment["channels"][0]:segment["channels"][0] + block.mid] = 1.0
            if block.se:
                vector[segment["squeeze"][0]:segment["squeeze"][0] + block.se] = 1.0
        return vector

    def _positions(self, arch: Arch) -> list[int]:
        """Supernet block index of each block of `arch` (block 0 is the fixed first block)."""
        return [0] + [1 + b for b in arch.active(self.space)]

    # ------------------------------------------------------------------ the network

    def _bn(self, x, name, n_stat):
        tf = _tf()
        axes = list(range(len(x.shape) - 1))
        mean, variance = tf.nn.moments(x[:n_stat], axes)
        return tf.nn.batch_normalization(x, mean, variance, self.variables[name + "/beta"],
                                         self.variables[name + "/gamma"], BN_EPS), (mean, variance)

    def _forward_impl(self, x, config, n_stat):
        """Logits for images x with the sub-network `config`; batch-norm statistics from x[:n_stat].
        Also returns every batch norm's (mean, variance), in layer order."""
        tf = _tf()
        v, stats = self.variables, []

        def seg(segment, key):
            start, n = segment[key]
            return config[start:start + n]

        def bn(h, name):
            out, s = self._bn(h, name, n_stat)
            stats.append(s)
            return out

        h = tf.nn.conv2d(x, v["stem/w"], 2, "SAME")
        h = tf.nn.relu6(bn(h, "stem/bn"))
        for i, (block, segment) in enumerate(zip(self.plan_max.blocks, self.segments)):
            name = f"b{i}"
            shortcut = h
            y = h
            if block.expand:
                channels = seg(segment, "channels")
                y = tf.nn.conv2d(y, v[name + "/expand/w"], 1, "VALID")
                y = tf.nn.relu6(bn(y, name + "/expand/bn")) * channels
                kernel = v[name + "/dw/w"] * tf.reshape(seg(segment, "kernel"), (self.k_max, self.k_max, 1, 1))
            else:
                channels = None
                kernel = v[name + "/dw/w"]
            y = tf.nn.depthwise_conv2d(y, kernel, (1, block.stride, block.stride, 1), "SAME")
            y = tf.nn.relu6(bn(y, name + "/dw/bn"))
            if channels is not None:
                y = y * channels
            if self._se_max(block):
                s = tf.reduce_mean(y, axis=(1, 2), keepdims=True)
                s = tf.nn.relu(tf.nn.conv2d(s, v[name + "/se_reduce/w"], 1, "VALID") + v[name + "/se_reduce/b"])
                s = s * seg(segment, "squeeze")
                s = tf.sigmoid(tf.nn.conv2d(s, v[name + "/se_expand/w"], 1, "VALID") + v[name + "/se_expand/b"])
                on = seg(segment, "se_on")[0]
                y = y * (1.0 + on * (s - 1.0))
            y = tf.nn.conv2d(y, v[name + "/project/w"], 1, "VALID")
            y = bn(y, name + "/project/bn")
            if block.residual:
                h = shortcut + seg(segment, "active")[0] * y
            else:
                h = y
        h = tf.nn.conv2d(h, v["head/w"], 1, "VALID")
        h = tf.nn.relu6(bn(h, "head/bn"))
        h = tf.reduce_mean(h, axis=(1, 2))
        return tf.matmul(h, v["classifier/w"]) + v["classifier/b"], stats

    def logits(self, x, config, n_stat=None):
        tf = _tf()
        x = tf.convert_to_tensor(x, tf.float32)
        n = tf.constant(int(x.shape[0]) if n_stat is None else int(n_stat), tf.int32)
        return self._forward(x, tf.convert_to_tensor(config, tf.float32), n)

    # ------------------------------------------------------------------ weights in and out

    def state(self) -> dict[str, np.ndarray]:
        return {k: v.numpy() for k, v in self.variables.items()}

    def load_state(self, state: dict[str, np.ndarray]) -> None:
        for k, v in self.variables.items():
            v.assign(state[k])

    def batchnorm_statistics(self, arch: Arch, images: np.ndarray, batch: int = 64) -> list[tuple[np.ndarray, np.ndarray]]:
        """Population mean and variance of every batch norm of `arch`, over `images` (in batches)."""
        config = self.config(arch)
        sums, count = None, 0
        for start in range(0, len(images), batch):
            chunk = images[start:start + batch]
            _, stats = self.logits(chunk, config)
            n = len(chunk)
            moments = [(m.numpy().astype(np.float64), v.numpy().astype(np.float64)) for m, v in stats]
            if sums is None:
                sums = [[np.zeros_like(m), np.zeros_like(m)] for m, _ in moments]
            for acc, (m, v) in zip(sums, moments):  # E[x] and E[x^2], weighted by images
                acc[0] += m * n
                acc[1] += (v + m * m) * n
            count += n
        return [((first / count).astype(np.float32),
                 np.maximum(second / count - (first / count) ** 2, 0.0).astype(np.float32)) for first, second in sums]

    def export_keras(self, arch: Arch, images: np.ndarray, dropout: float = 0.0):
        """A standalone Keras model of `arch` with the supernet's weights sliced to it and batch-norm
        statistics measured on `images`."""
        from tinygen.nas.keras_models import build_keras

        plan = arch.plan(self.space, self.classes, self.in_channels)
        model = build_keras(plan, dropout)
        stats = iter(self._select_stats(arch, self.batchnorm_statistics(arch, images)))
        v = self.state()

        def set_bn(layer_name, var_name, channels):
            mean, variance = next(stats)
            model.get_layer(layer_name).set_weights([v[var_name + "/gamma"][:channels], v[var_name + "/beta"][:channels],
                                                     mean[:channels], variance[:channels]])

        model.get_layer("stem").set_weights([v["stem/w"]])
        set_bn("stem_bn", "stem/bn", plan.stem)
        for i, (position, block) in enumerate(zip(self._positions(arch), plan.blocks)):
            src, dst = f"b{position}", f"b{i}"
            if block.expand:
                model.get_layer(dst + "_expand").set_weights([v[src + "/expand/w"][:, :, :, :block.mid]])
                set_bn(dst + "_expand_bn", src + "/expand/bn", block.mid)
                lo = (self.k_max - block.kernel) // 2
                dw = v[src + "/dw/w"][lo:lo + block.kernel, lo:lo + block.kernel, :block.mid, :]
            else:
                dw = v[src + "/dw/w"]
            model.get_layer(dst + "_dw").set_weights([dw])
            set_bn(dst + "_dw_bn", src + "/dw/bn", block.mid)
            if block.se:
                model.get_layer(dst + "_se_reduce").set_weights(
                    [v[src + "/se_reduce/w"][:, :, :block.mid, :block.se], v[src + "/se_reduce/b"][:block.se]])
                model.get_layer(dst + "_se_expand").set_weights(
                    [v[src + "/se_expand/w"][:, :, :block.se, :block.mid], v[src + "/se_expand/b"][:block.mid]])
            model.get_layer(dst + "_project").set_weights([v[src + "/project/w"][:, :, :block.mid, :]])
            set_bn(dst + "_project_bn", src + "/project/bn", block.cout)
        model.get_layer("head").set_weights([v["head/w"]])
        set_bn("head_bn", "head/bn", plan.head)
        model.get_layer("classifier").set_weights([v["classifier/w"], v["classifier/b"]])
        return model

    def _select_stats(self, arch: Arch, stats: list) -> list:
        """The statistics of the batch norms `arch` uses, in its layer order (skipped blocks dropped)."""
        per_block = []
        position = 1  # the stem's
        for block in self.plan_max.blocks:
            n = 3 if block.expand else 2
            per_block.append(stats[position:position + n])
            position += n
        selected = [stats[0]]
        for p in self._positions(arch):
            selected.extend(per_block[p])
        selected.append(stats[position])
        return selected
