"""`tinygen simulate`: what a compiled model needs from a board, layer by layer, before any hardware.

SRAM: the arena plan gives every activation and scratch buffer an offset and a lifetime (the
schedule steps from its first write to its last read). At each step the live buffers are the
bytes that must be held, and the highest `offset + size` among them is how far into the arena
that step reaches; the largest of those is the arena size. It is compared with the largest
contiguous SRAM stretch of the board (one C array cannot span separate regions).

Flash: the generated model.c and kernels are built for the board's core with arm-none-eabi-gcc
-O2 (as the firmware is built) when that compiler is installed, linked with unused sections
dropped, and `size` gives the exact bytes (text + rodata + data); otherwise the host C
compiler's object sizes stand in, and the figure is marked as an estimate.
"""
from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from tinygen.memory.placement import aligned
from tinygen.backends import BuildNeeds, build_needs
from tinygen.boards import Board
from tinygen.compiler import Program
from tinygen.errors import TinygenError
from tinygen.ops import constant_bytes
from tinygen.patch import grid_text
from tinygen.plain import plain
from tinygen.staging import staged_file
from tinygen.toolchain import (ARM_GCC, HOST_FLAGS, compile_objects, cortex_m_flags, host_compiler,
                               include_flags, model_link_flags)

# Kept by the linker although nothing in the model itself calls them: the application does
# (each with the program's prefix).
_ENTRY_POINTS = ("invoke", "input", "output", "input_info", "output_info")


# --------------------------------------------------------------------------- SRAM, step by step

def step_memory(program: Program) -> list[dict]:
    """For each step (from -1, before the first op, to len(steps), after the last): the live
    buffers' bytes and how far into the arena they reach."""
    buffers = [(buf, offset) for buf, offset in program.plan.offsets.items()]
    rows = []
    for s in range(-1, len(program.steps) + 1):
        live = [(b, o) for b, o in buffers if b.first <= s <= b.last]
        rows.append({"step": s, "live_bytes": sum(b.nbytes for b, _ in live),
                     "arena_bytes": max((o + aligned(b.nbytes) for b, o in live), default=0),
                     "live_buffers": len(live)})
    return rows


def _patch_ops(program: Program) -> set:
    patch = program.patch
    return set(patch.get("ops", [])) if isinstance(patch, dict) else set()


def layer_rows(program: Program) -> list[dict]:
    memory = {row["step"]: row for row in step_memory(program)}
    in_patch = _patch_ops(program)
    rows = []
    for i, step in enumerate(program.steps):
        op, call = step.op, step.call
        if call.kind == "patch_stage":  # several ops, run tile by tile, in one step
            rows.append({
                "step": i, "op_index": op.index, "op": f"PATCH STAGE ({len(call.ops)} ops)",
                "kind": "patch_stage", "ops": [o.index for o in call.ops], "op_kinds": [o.kind for o in call.ops],
                "tiles": list(call.grid), "output_shape": list(call.output.shape), "macs": int(call.macs),
                "live_bytes": memory[i]["live_bytes"], "arena_bytes": memory[i]["arena_bytes"],
                "live_buffers": memory[i]["live_buffers"], "patch_stage": True,
            })
            continue
        rows.append({
            "step": i, "op_index": op.index, "op": op.kind,
            "kind": call.kind,
            "output_shape": list(op.outputs[0].shape) if op.outputs else [],
            "macs": call.macs,
            "live_bytes": memory[i]["live_bytes"], "arena_bytes": memory[i]["arena_bytes"],
            "live_buffers": memory[i]["live_buffers"],
            "patch_stage": op.index in in_patch,
        })
    return rows


def peak(program: Program) -> tuple[int, int]:
    """The arena bytes the program needs and the first step that reaches them (-1: the model
    input alone, before the first op)."""
    best = max(step_memory(program), key=lambda row: (row["arena_bytes"], -row["step"]))
    return best["arena_bytes"], best["step"]


# --------------------------------------------------------------------------- flash

@dataclass
class FlashUse:
    flash_bytes: int  # code + constant data + initialised data
    code_bytes: int
    constant_bytes: int  # weights, biases, requantization arrays, parameter structs, tensor info
    data_bytes: int
    bss_bytes: int | None  # zero-initialised RAM, the arena included (None when not measured)
    is_estimate: bool
    method: str
    notes: list[str] = field(default_factory=list)
    # bytes per symbol (static ones included) where a linked image was measured: the steps'
    # functions (<prefix>_step_N), the kernels they call out of line, the constant arrays
    symbols: dict[str, int] = field(default_factory=dict)

    @classmethod
    def of(cls, kinds: dict[str, int], is_estimate: bool, method: str, notes: list[str] | None = None,
           symbols: dict[str, int] | None = None) -> "FlashUse":
        """From section bytes by kind (code, constant, data, bss)."""
        return cls(kinds["code"] + kinds["constant"] + kinds["data"], kinds["code"], kinds["constant"], kinds["data"],
                   kinds["bss"], is_estimate, method, notes or [], symbols or {})

    def to_dict(self) -> dict:
        return {"flash_bytes": self.flash_bytes, "code_bytes": self.code_bytes,
                "constant_bytes": self.constant_bytes, "data_bytes": self.data_bytes, "bss_bytes": self.bss_bytes,
                "static_ram_bytes": None if self.bss_bytes is None else self.data_bytes + self.bss_bytes,
                "is_estimate": self.is_estimate, "method": self.method}


def _sections(size_tool: str, path: Path) -> dict[str, int]:
    """Section name -> bytes, from `size -A` (SysV format)."""
    out = subprocess.run([size_tool, "-A", str(path)], capture_output=True, text=True, check=True).stdout
    sections: dict[str, int] = {}
    for line in out.splitlines():
        m = re.match(r"^(\.\S+)\s+(\d+)\s+\d+", line)
        if m:
            sections[m.group(1)] = sections.get(m.group(1), 0) + int(m.group(2))
    return sections


def _symbols(nm_tool: str, path: Path) -> dict[str, int]:
    """Symbol -> bytes in flash (code and constant data), from `nm -S`."""
    out = subprocess.run([nm_tool, "-S", "--defined-only", str(path)], capture_output=True, text=True).stdout
    sizes: dict[str, int] = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 4 and parts[2] in "tTrR":
            sizes[parts[3]] = sizes.get(parts[3], 0) + int(parts[1], 16)
    return sizes


def _classify(sections: dict[str, int]) -> dict[str, int]:
    kinds = {"code": 0, "constant": 0, "data": 0, "bss": 0}
    for name, n in sections.items():
        if name.startswith((".text", ".init", ".fini", ".ARM.exidx", ".ARM.extab")):
            kinds["code"] += n
        elif name.startswith((".rodata", ".srodata")):
            kinds["constant"] += n
        elif name.startswith((".data", ".sdata", ".init_array", ".fini_array")):
            kinds["data"] += n
        elif name.startswith((".bss", ".sbss", ".noinit")) or name == "COMMON":
            kinds["bss"] += n
    return kinds


def _object_kinds(size_tool: str, objects: list[Path]) -> dict[str, int]:
    kinds = {"code": 0, "constant": 0, "data": 0, "bss": 0}
    for obj in objects:
        for k, n in _classify(_sections(size_tool, obj)).items():
            kinds[k] += n
    return kinds


def _sources(src: Path, needs: BuildNeeds) -> list[str]:
    """The model's C files, and those of a kernel library it calls (CMSIS-NN)."""
    return ["model.c", *sorted(str(p.relative_to(src)) for p in (src / "kernels").glob("*.c")), *needs.sources]


def _entry_points(program: Program) -> tuple[str, ...]:
    """What an application calls, with the program's prefix: a model with state is also reset
    between sequences."""
    names = _ENTRY_POINTS + (("reset",) if program.state_bytes else ())
    return tuple(f"{program.options.prefix}_{name}" for name in names)


def _arm_flash(program: Program, src: Path, board: Board, gcc: str, size_tool: str, needs: BuildNeeds) -> FlashUse:
    """Compiled as the firmware is (tinygen.toolchain), linked with its C library and unused
    sections dropped, from <prefix>_invoke and the other entry points."""
    flags = [*cortex_m_flags(board), *include_flags(needs)]
    method = f"arm-none-eabi-gcc -O2 {' '.join(board.gcc_flags())}, linked with --gc-sections"
    entry_points = _entry_points(program)
    link = [gcc, *flags, *_sources(src, needs), *model_link_flags(entry_points[0], entry_points), "-o", "model.elf"]
    result = subprocess.run(link, cwd=src, capture_output=True, text=True)
    if result.returncode == 0:
        nm_tool = shutil.which("arm-none-eabi-nm")
        symbols = _symbols(nm_tool, src / "model.elf") if nm_tool else {}
        return FlashUse.of(_classify(_sections(size_tool, src / "model.elf")), False, method, symbols=symbols)
    # No C library for the link (or it failed): the objects alone still give the model's own bytes.
    objects = compile_objects(gcc, flags, _sources(src, needs), src)
    return FlashUse.of(_object_kinds(size_tool, objects), False,
                       f"arm-none-eabi-gcc -O2 {' '.join(board.gcc_flags())}, objects not linked (library calls "
                       "not counted)", ["the link failed: " + (result.stderr.strip().splitlines() or ["?"])[-1]])


def _host_flash(src: Path, reason: str, needs: BuildNeeds) -> FlashUse | None:
    size_tool = shutil.which("size")
    if size_tool is None:
        return None
    try:
        cc = host_compiler()
        objects = compile_objects(cc, [*HOST_FLAGS, "-ffunction-sections", "-fdata-sections", "-I.",
                                       *include_flags(needs)], _sources(src, needs), src)
    except TinygenError:
        return None
    return FlashUse.of(_object_kinds(size_tool, objects), True,
                       f"estimate: host C compiler ({Path(cc).name} -O2) object sizes; {reason}")


def _counted_flash(program: Program, reason: str) -> FlashUse:
    """No compiler at all: count the constant arrays the generated code holds."""
    total = constant_bytes(call for _, call in program.calls)
    return FlashUse(total, 0, total, 0, None, True, f"estimate: constant data only, code not counted; {reason}")


def flash_use(program: Program, board: Board) -> FlashUse:
    """The program's flash on the board: a linked image's, once per program and board (the
    generated code depends on nothing else), or an estimate, measured again every time."""
    measured = program.measured_flash.get(board.name)
    if measured is None:
        measured = _measure_flash(program, board)
        if not measured.is_estimate and not measured.notes:
            program.measured_flash[board.name] = measured
    return measured


def _measure_flash(program: Program, board: Board) -> FlashUse:
    from tinygen import codegen

    gcc, size_tool = shutil.which(ARM_GCC), shutil.which("arm-none-eabi-size")
    needs = build_needs(program)
    with tempfile.TemporaryDirectory(prefix="tinygen-simulate-") as tmp:
        src = Path(tmp)
        codegen.render(program, src)
        if board.is_cortex_m and gcc and size_tool:
            return _arm_flash(program, src, board, gcc, size_tool, needs)
        reason = ("the board is not a Cortex-M" if not board.is_cortex_m
                  else "arm-none-eabi-gcc is not installed")
        return _host_flash(src, reason, needs) or _counted_flash(program, reason + ", and no host C compiler either")


# --------------------------------------------------------------------------- the report

def _margin(used: int, limit: int | None) -> tuple[int | None, float | None]:
    if limit is None:
        return None, None
    return limit - used, round(100.0 * (limit - used) / limit, 2)


def sample_input_bytes(program: Program, board: Board) -> int:
    """Flash the firmware spends on a built-in sample input (Board.sample_input_bytes)."""
    return board.sample_input_bytes(program.graph.inputs)


def fit(sram_bytes: int, flash_bytes: int, board: Board, sample_bytes: int = 0) -> dict:
    """Whether a model fits the board's link: its SRAM with the reserve in the link's RAM, its
    flash with the firmware's sample input and the reserve in the link's flash."""
    link = board.link
    if link is None:
        return {"sram_limit_bytes": None, "flash_limit_bytes": None, "reserve": None, "sample_input_bytes": 0,
                "sram_margin_bytes": None, "sram_margin_pct": None, "sram_fits": True,
                "flash_margin_bytes": None, "flash_margin_pct": None, "flash_fits": True, "fits": True,
                "sram_total_bytes": None, "fit_note": "host board: no SRAM or flash limit, so it always fits"}
    sram_used = sram_bytes + link.reserve_ram_bytes
    flash_used = flash_bytes + sample_bytes + link.reserve_flash_bytes
    sram_margin, sram_pct = _margin(sram_used, link.ram.bytes)
    flash_margin, flash_pct = _margin(flash_used, link.flash_bytes)
    sram_fits, flash_fits = sram_margin >= 0, flash_margin >= 0
    if sram_fits and flash_fits:
        note = f"fits {board.name}"
    else:
        short = ([f"SRAM by {-sram_margin:,} bytes (the link's {link.ram.name})"] if not sram_fits else []) + \
                ([f"flash by {-flash_margin:,} bytes"] if not flash_fits else [])
        note = f"does not fit {board.name}: over " + " and ".join(short)
    return {"sram_limit_bytes": link.ram.bytes, "sram_region": link.ram.name, "sram_total_bytes": board.sram_bytes,
            "flash_limit_bytes": link.flash_bytes, "sample_input_bytes": sample_bytes,
            "reserve": {"ram_bytes": link.reserve_ram_bytes, "flash_bytes": link.reserve_flash_bytes,
                        "why": link.reserve_why},
            "sram_used_bytes": sram_used, "sram_margin_bytes": sram_margin, "sram_margin_pct": sram_pct,
            "sram_fits": sram_fits, "flash_used_bytes": flash_used, "flash_margin_bytes": flash_margin,
            "flash_margin_pct": flash_pct, "flash_fits": flash_fits,
            "fits": sram_fits and flash_fits, "fit_note": note}


def sram_bytes(program: Program) -> int:
    """The RAM the model needs: its arena, its own input and output buffers (--io-buffers
    separate) and its persistent state (both outside the arena)."""
    return program.plan.arena_bytes + program.io_buffer_bytes + program.state_bytes


def persistent_state(program: Program) -> list[dict]:
    """The variable tensors, the RAM kept from one invoke to the next."""
    return [{"name": t.name, "dtype": t.dtype, "shape": list(t.shape), "bytes": t.nbytes} for t in program.state]


def fit_of(program: Program, board: Board | None = None) -> dict:
    """fit() for a program on `board` (default: its target), its flash measured as simulate
    measures it."""
    target = board or program.target
    if target.link is None:
        return fit(sram_bytes(program), 0, target)
    flash = flash_use(program, target)
    return fit(sram_bytes(program), flash.flash_bytes, target, sample_input_bytes(program, target))


def simulate(model: str | Path, program: Program) -> dict:
    """The report of `tinygen simulate` for `program`, compiled from `model` for its target."""
    target = program.target
    peak_bytes, peak_step = peak(program)
    if peak_bytes != program.plan.arena_bytes:
        raise AssertionError(f"step-by-step peak {peak_bytes} differs from the plan's arena {program.plan.arena_bytes}")
    layers = layer_rows(program)
    flash = flash_use(program, target)
    io_bytes = program.io_buffer_bytes  # with --io-buffers separate: RAM beside the arena
    where = ("the model input, before the first layer" if peak_step < 0
             else "the model outputs, after the last layer" if peak_step >= len(program.steps)
             else f"step {peak_step} ({layers[peak_step]['op']})")
    return {
        "model": str(model), "board": target.name, "board_description": target.description,
        "patch_mode": program.options.patch, "max_mac_overhead": program.options.max_mac_overhead,
        "patch": None if program.patch is None else plain(program.patch),
        "patch_note": program.patch_note, "kernels": program.options.kernels,
        "reference_ops": list(program.options.reference_ops),
        "io_buffers": program.options.io_buffers, "arena_bytes": peak_bytes, "io_buffer_bytes": io_bytes,
        "peak_sram_bytes": peak_bytes + io_bytes, "peak_step": peak_step, "peak_at": where,
        "lower_bound_bytes": program.plan.lower_bound_bytes + io_bytes,
        "persistent_state_bytes": program.state_bytes, "persistent_state": persistent_state(program),
        "sram_bytes": peak_bytes + io_bytes + program.state_bytes,
        "flash_bytes": flash.flash_bytes, "flash_is_estimate": flash.is_estimate, "flash": flash.to_dict(),
        "flash_notes": flash.notes,
        **fit(peak_bytes + io_bytes + program.state_bytes, flash.flash_bytes, target,
              sample_input_bytes(program, target)),
        "total_macs": sum(row["macs"] for row in layers),
        "layers": layers,
    }


# --------------------------------------------------------------------------- plot

def plot(model: str | Path, path: str | Path, modes: dict[str, Program]) -> Path:
    """Arena bytes per layer, layer-based and patch-based side by side (`modes`: "off" and "auto",
    the model compiled both ways for one board), with the board's SRAM limit."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    target = modes["off"].target
    highest = max(max(row["live_bytes"] for row in layer_rows(p)) for p in modes.values())
    highest = max(highest, *(p.plan.arena_bytes for p in modes.values()), 1)
    unit, scale = ("KiB", 1024) if highest >= 4096 else ("bytes", 1)
    limit = target.arena_limit_bytes
    limit_shown = limit is not None and limit <= 4 * highest  # a far-off limit would flatten the bars
    fig, axes = plt.subplots(1, 2, figsize=(13, 6), sharey=True)
    for ax, mode in zip(axes, ("off", "auto")):
        program = modes[mode]
        rows = layer_rows(program)
        x = [r["step"] for r in rows]
        ax.bar(x, [r["arena_bytes"] / scale for r in rows], color="#4C72B0", alpha=0.85,
               label="arena in use (highest offset + size)")
        ax.step(x, [r["live_bytes"] / scale for r in rows], where="mid", color="#DD8452", linewidth=1.6,
                label="sum of live buffers")
        for i, r in enumerate(r for r in rows if r["kind"] == "patch_stage"):
            ax.axvspan(r["step"] - 0.5, r["step"] + 0.5, color="#55A868", alpha=0.2,
                       label="patch-based stage" if i == 0 else None)
        ax.axhline(program.plan.lower_bound_bytes / scale, color="gray", linestyle="--", linewidth=1,
                   label=f"lower bound {program.plan.lower_bound_bytes:,} B")
        if limit is not None:
            label = f"{target.name} SRAM limit {limit:,} B" + ("" if limit_shown else " (off the scale)")
            ax.axhline(limit / scale, color="#C44E52", linewidth=1.8, label=label)
        if mode == "off":
            title = f"layer-based: peak {program.plan.arena_bytes:,} B"
        elif program.patch is None:
            title = f"patch-based: no stage chosen, peak {program.plan.arena_bytes:,} B"
        else:
            grids = " then ".join(grid_text(s["tiles"]) for s in program.patch["stages"])
            title = (f"patch-based ({grids} tiles, +{100 * program.patch['mac_overhead']:.1f}% MACs): "
                     f"peak {program.plan.arena_bytes:,} B")
        ax.set_title(title, fontsize=11)
        ax.set_xlabel("layer (schedule step)")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(axis="y", alpha=0.3)
        ax.legend(fontsize=8.5, loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=2, frameon=False)
    axes[0].set_ylabel(f"SRAM ({unit})")
    top = max(highest, limit if limit_shown else 0)
    axes[0].set_ylim(0, top / scale * 1.08)
    where = "host, no SRAM limit" if limit is None else target.name
    fig.suptitle(f"{Path(model).name} on {where}: SRAM per layer", fontsize=13)
    fig.tight_layout()
    out = Path(path)
    with staged_file(out) as staging:
        fig.savefig(staging, format="png", dpi=110)
    plt.close(fig)
    return out
