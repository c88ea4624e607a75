"""The search space: MobileNetV2-style inverted-residual networks, one `Arch` per network.

No TensorFlow here: the memory and flash of an architecture are computed from its layer plan
alone (tinygen.nas.graph), and the same plan drives the Keras builders (tinygen.nas.supernet).

A network is

    input (r x r x C) -> stem: 3x3 conv, stride 2, ReLU6
    -> first block: 3x3 depthwise + 1x1 projection (no expansion)
    -> stages of inverted-residual blocks: [1x1 expand, ReLU6] -> kxk depthwise, ReLU6 ->
       [squeeze-excite] -> 1x1 projection (linear) [+ the block input when shapes allow]
    -> head: 1x1 conv, ReLU6 -> global average pool -> fully connected -> softmax

Searched: the depth of each stage, the kernel size (3/5/7), expansion ratio (3/4/6) and,
optionally, squeeze-excite of each block; for the space as a whole (step 1) the width
multiplier and the input resolution. The first block of each stage is always there (it may
change stride and channels); the others are residual, so skipping them is exact.
"""
from __future__ import annotations

import math
import random
from dataclasses import asdict, dataclass, field, replace


def make_divisible(value: float, divisor: int = 8) -> int:
    """Channels rounded to a multiple of `divisor`, never below it nor below 90% of `value`."""
    rounded = max(divisor, int(value + divisor / 2) // divisor * divisor)
    if rounded < 0.9 * value:
        rounded += divisor
    return rounded


@dataclass(frozen=True)
class Stage:
    channels: int  # at width 1.0
    stride: int


@dataclass(frozen=True)
class SearchSpace:
    """What may vary, and the fixed skeleton around it."""
    widths: tuple[float, ...] = (0.35, 0.5, 0.6, 0.75, 1.0)
    resolutions: tuple[int, ...] = (48, 64, 80, 96, 112, 128, 144, 160)
    depths: tuple[int, ...] = (1, 2, 3, 4)
    kernels: tuple[int, ...] = (3, 5, 7)
    expansions: tuple[int, ...] = (3, 4, 6)
    se: tuple[bool, ...] = (False,)  # (False, True) searches squeeze-excite per block
    stem: int = 16
    first: int = 8
    stages: tuple[Stage, ...] = (Stage(16, 2), Stage(24, 2), Stage(40, 2), Stage(48, 1), Stage(96, 2))
    head: int = 160
    se_ratio: int = 4  # squeeze channels = expanded channels / se_ratio

    @property
    def max_depth(self) -> int:
        return max(self.depths)

    @property
    def n_blocks(self) -> int:
        return len(self.stages) * self.max_depth

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "SearchSpace":
        data = dict(data)
        data["stages"] = tuple(Stage(**s) for s in data["stages"])
        for key in ("widths", "resolutions", "depths", "kernels", "expansions", "se"):
            data[key] = tuple(data[key])
        return cls(**data)


@dataclass(frozen=True)
class Block:
    """One block of the layer plan, with concrete channel counts."""
    cin: int
    cout: int
    mid: int  # channels of the depthwise conv (cin * expansion; cin when there is no expansion)
    kernel: int
    stride: int
    expand: bool  # a 1x1 expansion conv first
    se: int  # squeeze channels of squeeze-excite, 0 without
    residual: bool  # the block input is added to its output

    @property
    def name(self) -> str:
        return f"k{self.kernel}e{self.mid // self.cin if self.expand else 1}{'se' if self.se else ''}"


@dataclass(frozen=True)
class Plan:
    """Everything a builder needs: the input, the stem, the blocks, the head."""
    resolution: int
    in_channels: int
    stem: int
    blocks: tuple[Block, ...]
    head: int
    classes: int


@dataclass(frozen=True)
class Arch:
    """One network of the space. Per-block genes cover every possible block (stages x max depth);
    the genes of blocks beyond a stage's depth are kept for mutation but do not matter."""
    width: float
    resolution: int
    depths: tuple[int, ...]
    kernels: tuple[int, ...]
    expansions: tuple[int, ...]
    se: tuple[bool, ...]

    def active(self, space: SearchSpace) -> list[int]:
        """Indices of the blocks present, in order."""
        return [s * space.max_depth + i for s, d in enumerate(self.depths) for i in range(d)]

    def key(self, space: SearchSpace) -> tuple:
        """Identity of the network (inactive genes ignored)."""
        genes = tuple((self.kernels[b], self.expansions[b], self.se[b]) for b in self.active(space))
        return (self.width, self.resolution, self.depths, genes)

    def describe(self, space: SearchSpace) -> str:
        stages = []
        for s, d in enumerate(self.depths):
            blocks = [f"k{self.kernels[b]}e{self.expansions[b]}{'se' if self.se[b] else ''}"
                      for b in range(s * space.max_depth, s * space.max_depth + d)]
            stages.append("[" + " ".join(blocks) + "]")
        return f"w{self.width:g} r{self.resolution} " + " ".join(stages)

    def to_dict(self) -> dict:
        return {"width": self.width, "resolution": self.resolution, "depths": list(self.depths),
                "kernels": list(self.kernels), "expansions": list(self.expansions), "se": list(self.se)}

    @classmethod
    def from_dict(cls, data: dict) -> "Arch":
        return cls(float(data["width"]), int(data["resolution"]), tuple(data["depths"]), tuple(data["kernels"]),
                   tuple(data["expansions"]), tuple(bool(v) for v in data["se"]))

    def plan(self, space: SearchSpace, classes: int, in_channels: int = 3) -> Plan:
        w = self.width
        stem = make_divisible(space.stem * w)
        first = make_divisible(space.first * w)
        blocks = [Block(stem, first, stem, 3, 1, False, 0, stem == first)]
        cin = first
        for s, stage in enumerate(space.stages):
            cout = make_divisible(stage.channels * w)
            for i in range(self.depths[s]):
                b = s * space.max_depth + i
                stride = stage.stride if i == 0 else 1
                mid = cin * self.expansions[b]
                se = make_divisible(mid / space.se_ratio) if self.se[b] else 0
                blocks.append(Block(cin, cout, mid, self.kernels[b], stride, True, se, stride == 1 and cin == cout))
                cin = cout
        return Plan(self.resolution, in_channels, stem, tuple(blocks), make_divisible(space.head * w), classes)


# --------------------------------------------------------------------------- sampling and variation

def _genes(space: SearchSpace, rng: random.Random) -> dict:
    n = space.n_blocks
    return {"depths": tuple(rng.choice(space.depths) for _ in space.stages),
            "kernels": tuple(rng.choice(space.kernels) for _ in range(n)),
            "expansions": tuple(rng.choice(space.expansions) for _ in range(n)),
            "se": tuple(rng.choice(space.se) for _ in range(n))}


def sample(space: SearchSpace, width: float, resolution: int, rng: random.Random) -> Arch:
    return Arch(width, resolution, **_genes(space, rng))


def largest(space: SearchSpace, width: float, resolution: int) -> Arch:
    n = space.n_blocks
    return Arch(width, resolution, (max(space.depths),) * len(space.stages), (max(space.kernels),) * n,
                (max(space.expansions),) * n, (max(space.se),) * n)


def smallest(space: SearchSpace, width: float, resolution: int) -> Arch:
    n = space.n_blocks
    return Arch(width, resolution, (min(space.depths),) * len(space.stages), (min(space.kernels),) * n,
                (min(space.expansions),) * n, (min(space.se),) * n)


def mutate(arch: Arch, space: SearchSpace, rng: random.Random, p: float = 0.15) -> Arch:
    """Each gene is redrawn with probability p."""
    def redraw(values, choices):
        return tuple(rng.choice(choices) if rng.random() < p else v for v in values)

    return replace(arch, depths=redraw(arch.depths, space.depths), kernels=redraw(arch.kernels, space.kernels),
                   expansions=redraw(arch.expansions, space.expansions), se=redraw(arch.se, space.se))


def crossover(a: Arch, b: Arch, rng: random.Random) -> Arch:
    """Every gene from one parent or the other, at random."""
    pick = lambda x, y: tuple(rng.choice(pair) for pair in zip(x, y))  # noqa: E731
    return replace(a, depths=pick(a.depths, b.depths), kernels=pick(a.kernels, b.kernels),
                   expansions=pick(a.expansions, b.expansions), se=pick(a.se, b.se))


@dataclass
class Measured:
    """What the planner says about an architecture."""
    arch: Arch
    macs: int
    params: int
    peak_sram: int
    flash: int  # estimated during the search; measured for the winner
    latency_ms: float | None = None
    patch: dict | None = None
    extra: dict = field(default_factory=dict)
    fit: bool | None = None  # within the search's limits

    def renamed(self, arch: Arch) -> "Measured":
        """The same measurement for an equivalent genome (inactive genes may differ)."""
        return replace(self, arch=arch)

    def fits(self, sram: int | None, flash: int | None, latency_ms: float | None = None) -> bool:
        return ((sram is None or (self.peak_sram is not None and self.peak_sram <= sram)) and (flash is None or self.flash <= flash)
                and (latency_ms is None or self.latency_ms is None or self.latency_ms <= latency_ms))

    def to_dict(self) -> dict:
        return {"arch": self.arch.to_dict(), "macs": self.macs, "params": self.params, "peak_sram_bytes": self.peak_sram,
                "peak_exact": bool(self.extra.get("exact", True)), "flash_bytes_estimate": self.flash,
                "latency_ms_estimate": self.latency_ms, "patch": self.patch, "fits": self.fit}

    @classmethod
    def from_dict(cls, data: dict) -> "Measured":
        return cls(Arch.from_dict(data["arch"]), data["macs"], data["params"], data["peak_sram_bytes"],
                   data["flash_bytes_estimate"], data.get("latency_ms_estimate"), data.get("patch"),
                   {"exact": data.get("peak_exact", True)}, data.get("fits"))


def percentile(values: list[float], q: float) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]
