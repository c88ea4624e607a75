"""How a model is compiled: one value that every command, the search and the demo pass along.

The defaults are the command line's: tinygen's optimized kernels, patch-based stages where they
lower peak SRAM, the fastest kernels that fit the target's SRAM, the model's own input/output
types kept in the arena, and C symbols that start with `tinygen_`.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace

from tinygen.errors import TinygenError

KERNELS = ("builtin", "reference", "cmsis-nn")
PATCH_MODES = ("auto", "off")
OPTIMIZE = ("auto", "memory", "speed")
IO_MODES = ("model", "int8")
IO_BUFFERS = ("arena", "separate")
DEFAULT_PREFIX = "tinygen"
_C_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class CompileOptions:
    # "auto": patch stages where they lower peak SRAM; "off": layer by layer; (ops, grid) forces
    # the first stage that covers `ops` ops in a grid of tiles (n, or (rows, cols)).
    patch: str | tuple = "auto"
    max_mac_overhead: float = 0.2  # extra MACs patch stages may cost, a fraction of the model's
    kernels: str = "builtin"  # tinygen.backends: builtin, reference or cmsis-nn
    # speed: the fastest kernels everywhere; memory: at the layers that set the peak, leaner
    # kernel variants where they shrink the arena; auto: speed, then memory's steps only until
    # the arena fits the target (the host has no limit: speed); except with speed, the CLI also
    # fits the builtin kernels to the board's flash (tinygen.flash_fit, reference_ops)
    optimize: str = "auto"
    io: str = "model"  # "int8": the boundary QUANTIZE/DEQUANTIZE are dropped (tinygen.passes.int8_io)
    cmsis_nn: str | None = None  # a CMSIS-NN checkout, for kernels="cmsis-nn"
    # "arena": inputs and outputs are arena buffers like any other (invoke may overwrite them);
    # "separate": they have buffers of their own outside the arena and survive invoke
    io_buffers: str = "arena"
    prefix: str = DEFAULT_PREFIX  # of every C symbol the generated library exports (kernels included)
    # ops (their index in the source model) that keep their reference kernel whatever `kernels`
    # says: what tinygen.flash_fit chooses where the optimized kernels' flash does not fit the board
    reference_ops: tuple = ()
    # False: the builtin convolutions keep 8-bit weights, none pre-widened (what flash_fit tries first)
    wide_weights: bool = True

    def __post_init__(self):
        if self.patch not in PATCH_MODES and not isinstance(self.patch, tuple):
            raise TinygenError(f"--patch must be one of {', '.join(PATCH_MODES)}, not {self.patch!r}")
        for name, value, allowed in (("kernels", self.kernels, KERNELS), ("optimize", self.optimize, OPTIMIZE),
                                     ("io", self.io, IO_MODES), ("io-buffers", self.io_buffers, IO_BUFFERS)):
            if value not in allowed:
                raise TinygenError(f"--{name} must be one of {', '.join(allowed)}, not {value!r}")
        if not math.isfinite(self.max_mac_overhead) or self.max_mac_overhead < 0:
            raise TinygenError(f"--max-mac-overhead must be a fraction >= 0, not {self.max_mac_overhead}")
        if any(not isinstance(i, int) or i < 0 for i in self.reference_ops):
            raise TinygenError(f"reference_ops must be op indices (ints >= 0), not {self.reference_ops!r}")
        if not _C_IDENTIFIER.fullmatch(self.prefix):
            raise TinygenError(f"--prefix must be a C identifier (letters, digits, '_'; not first a digit), "
                               f"not {self.prefix!r}")

    def arena_goal(self, limit: int | None) -> int | None:
        """Leaner kernels are taken at the peak until the arena is at most this (0: as small as
        they make it; None: never), for a target whose arena may take `limit` bytes."""
        if self.kernels == "reference" or self.optimize == "speed":
            return None
        return 0 if self.optimize == "memory" else limit

    def but(self, **changes) -> "CompileOptions":
        """These options with some changed."""
        return replace(self, **changes)


DEFAULT = CompileOptions()
REFERENCE = CompileOptions(patch="off", kernels="reference")  # the plain kernels, layer by layer
# The smallest arena each model can have: what the architecture search ranks networks by and
# the memory benchmark compares.
SMALLEST_ARENA = DEFAULT.but(optimize="memory")
