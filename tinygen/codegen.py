"""Print a `Program` as C through the Jinja templates. Nothing is decided here, only printed."""
from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import jinja2
import numpy as np

from tinygen.backends import BuildNeeds
from tinygen.compiler import Program
from tinygen.ir import Tensor
from tinygen.kernels import NAMES_HEADER, external_functions, kernel_files
from tinygen.ops import Array, Call, LocalFunction, Scratch, Struct, View
from tinygen.passes.int8_io import model_tensor
from tinygen.resources import data_dir
from tinygen.toolchain import HOST_FLAGS

CTYPES = {"int8": "int8_t", "uint8": "uint8_t", "int16": "int16_t", "int32": "int32_t",
          "int64": "int64_t", "float32": "float", "bool": "uint8_t", "uint16": "uint16_t",
          "uint32": "uint32_t", "float64": "double"}
DTYPE_CODES = {"float32": 0, "int8": 1, "uint8": 2, "int16": 3, "int32": 4}


def templates_dir() -> Path:
    return data_dir("templates")


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(templates_dir())),
                             keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True,
                             undefined=jinja2.StrictUndefined)
    env.filters.update(c_string=c_string, c_comment=c_comment)
    return env


def c_string(text: str) -> str:
    """The text's bytes as the inside of a C string literal (octal escapes for anything unusual:
    names come from the model file)."""
    return "".join(chr(b) if 32 <= b < 127 and chr(b) not in '"\\?' else f"\\{b:03o}" for b in text.encode())


def c_comment(text: str) -> str:
    """The text as it may stand in a C, C++ or Makefile comment: no line breaks or other control
    characters, nothing that ends a block comment or forms a trigraph or a line continuation."""
    printable = "".join(c if c.isprintable() else " " for c in text)
    return printable.replace("*/", "* /").replace("??", "? ?").replace("\\", "/")


def c_number(value) -> str:
    """A C literal that reads back as exactly this value (hex floats for floats)."""
    if isinstance(value, (float, np.floating)):
        if np.isinf(value):
            return "INFINITY" if value > 0 else "-INFINITY"
        return float(np.float32(value)).hex() + "f"
    v = int(value)
    if v == -(1 << 31):
        return "(-2147483647 - 1)"
    if v == -(1 << 63):
        return "(-9223372036854775807LL - 1)"
    return str(v) if abs(v) < (1 << 31) else f"{v}LL"


def c_array_body(values: np.ndarray) -> str:
    flat = values.ravel()
    per_line = 20 if flat.dtype.itemsize == 1 else 8
    if flat.dtype.kind == "f":
        items = [c_number(v) for v in flat.tolist()]
    elif flat.dtype == np.bool_:
        items = [str(int(v)) for v in flat.tolist()]
    else:
        items = [c_number(v) for v in flat.tolist()] if flat.dtype.itemsize >= 4 else [str(v) for v in flat.tolist()]
    if not items:
        return "0"
    return ",\n".join("  " + ", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line))


@dataclass
class ConstArray:
    name: str
    ctype: str
    body: str
    length: int
    comment: str = ""


class _Printer:
    """Turns call arguments into C expressions, collecting the constant data they need."""

    def __init__(self, program: Program):
        self.program = program
        self.arrays: list[ConstArray] = []
        self.structs: list[tuple[str, str, str]] = []  # (ctype, name, initializer)
        self._tensor_arrays: dict[int, str] = {}
        self._array_cache: dict[tuple, str] = {}
        self._struct_cache: dict[tuple, str] = {}

    def buffer(self, item) -> str:
        """The C array that holds a tensor or scratch buffer: the arena, or an I/O buffer of its own."""
        return buffer_name(self.program, self.program.home(item))

    def tensor(self, t: Tensor) -> str:
        ctype = CTYPES[t.dtype]
        if t.is_const:
            name = self._tensor_arrays.get(id(t))
            if name is None:
                name = f"tensor{t.index}"
                self._tensor_arrays[id(t)] = name
                self.arrays.append(ConstArray(name, ctype, c_array_body(t.data), max(t.size, 1),
                                              f"'{t.name}' {'x'.join(map(str, t.shape))}"))
            return name
        if t.is_variable:
            return f"(({ctype} *)({self.program.options.prefix}_state + {self.program.state_offsets[id(t)]}))"
        return f"(({ctype} *)({self.buffer(t)} + {self.program.offset(t)}))"

    def array(self, a: Array, hint: str) -> str:
        key = (a.ctype, a.values.dtype.str, a.values.tobytes())
        name = self._array_cache.get(key)
        if name is None:
            name = hint
            self._array_cache[key] = name
            self.arrays.append(ConstArray(name, a.ctype, c_array_body(a.values), max(a.values.size, 1)))
        return name

    def value(self, arg, hint: str) -> str:
        if arg is None:
            return "NULL"
        if isinstance(arg, Tensor):
            return self.tensor(arg)
        if isinstance(arg, View):
            ctype = CTYPES[arg.tensor.dtype]
            return f"(({ctype} *)({self.buffer(arg.tensor)} + {self.program.offset(arg.tensor) + arg.byte_offset}))"
        if isinstance(arg, Array):
            return self.array(arg, hint)
        if isinstance(arg, Scratch):
            return f"((void *)({self.buffer(arg)} + {self.program.offset(arg)}))"
        if isinstance(arg, Struct):
            return "&" + self.struct(arg, hint)
        if isinstance(arg, (list, tuple)):
            return "{" + ", ".join(self.value(v, hint) for v in arg) + "}"
        return c_number(arg)

    def struct(self, s: Struct, name: str) -> str:
        """A static const struct; identical ones (e.g. the inner tiles of a patch stage) share one."""
        fields = ",\n".join(f"  .{k} = {self.value(v, f'{name}_{k}')}" for k, v in s.fields.items())
        key = (s.ctype, fields)
        if key not in self._struct_cache:
            self._struct_cache[key] = name
            self.structs.append((s.ctype, name, fields))
        return self._struct_cache[key]


def buffer_name(program: Program, home: str) -> str:
    """The C name of the arena ("arena") or of an I/O buffer of its own ("input0", ...)."""
    return f"{program.options.prefix}_{home}" + ("" if home == "arena" else "_buffer")


def _describe_call(op, call: Call) -> str:
    """The op and the shapes of the activations the call reads and writes (a patch tile's own)."""
    tensors = [a.tensor if isinstance(a, View) else a for a in call.args]
    shapes = ["x".join(map(str, a.shape)) for a in tensors if isinstance(a, Tensor) and not a.is_const]
    what = {"tg_tile_copy": f"{op.kind}: copy a tile region", "tg_tile_fill": f"{op.kind}: fill the tile"}.get(
        call.function, op.kind)
    return f"{what} [{' '.join(shapes[:-1])}] -> {shapes[-1] if shapes else ''}"


def _local_function(f: LocalFunction) -> str:
    fixed = ", ".join(f"k.{name} = {value}" for name, value in f.fixed)
    return f"static {f.macro}({f.name}, ({fixed}))"


def _io(program: Program, tensors: list[Tensor]) -> list[dict]:
    out = []
    for t in tensors:
        quant = t.quant
        own = model_tensor(program.graph, t)
        out.append({"name": t.name, "ctype": CTYPES[t.dtype], "dtype": t.dtype, "dtype_code": DTYPE_CODES[t.dtype],
                    "shape": list(t.shape) or [1], "bytes": t.nbytes, "offset": program.offset(t),
                    "buffer": buffer_name(program, program.home(t)),
                    "scale": c_number(float(quant.s) if quant else 0.0), "zero_point": quant.zp if quant else 0,
                    "quantized": quant is not None and t.dtype != "float32",
                    "scale_text": f"{float(quant.s):.9g}" if quant else "",
                    "replaces": None if own is t else f"'{own.name}' {own.dtype}"})
    return out


def reset_value(t: Tensor) -> int:
    """The byte a variable tensor is filled with at start-up and by <prefix>_reset(): TFLM's
    ResetVariableTensors writes the zero point of an int8 variable, 0 into any other."""
    return t.quant.zp if t.dtype == "int8" and t.quant is not None else 0


def _state(program: Program) -> list[dict]:
    return [{"name": t.name, "dtype": t.dtype, "shape": "x".join(map(str, t.shape)), "bytes": t.nbytes,
             "offset": program.state_offsets[id(t)], "value": reset_value(t)} for t in program.state]


def _io_buffers(program: Program) -> list[dict]:
    """The inputs' and outputs' own buffers (with --io-buffers separate) for model.c."""
    return [{"name": buffer_name(program, home), "bytes": nbytes} for home, nbytes in program.io_buffer_sizes().items()]


def _io_notes(program: Program, inputs: list[dict], outputs: list[dict]) -> None:
    """What invoke does to each input and output, for model.h."""
    for t, info in zip(program.graph.inputs, inputs):
        info["overwritten"] = program.overwritten_by_invoke(t)
    for t, info in zip(program.graph.outputs, outputs):
        info["shares_inputs"] = program.inputs_sharing_bytes(t)


def render(program: Program, out_dir: Path, host_build: BuildNeeds | None = None) -> list[Path]:
    """Write model.h, model.c and the kernels the model uses into out_dir (created if needed); with
    `host_build` (tinygen.toolchain's needs), also the host runner: main.c and its Makefile."""
    out_dir.mkdir(parents=True, exist_ok=True)
    printer = _Printer(program)
    steps = []
    headers: set[str] = set()
    sources: set[str] = set()
    local_functions: dict[str, str] = {}
    for i, (op, call) in enumerate(program.calls):
        args = ", ".join(printer.value(a, f"op{i}_{'params' if isinstance(a, Struct) else 'arg'}{j or ''}")
                         for j, a in enumerate(call.args))
        steps.append({"comment": _describe_call(op, call),
                      "call": f"{call.function}({args});"})
        headers.update([call.kernel, *call.extra_kernels])
        sources.update(call.c_sources)
        if call.local is not None:
            local_functions[call.local.name] = _local_function(call.local)
    inputs, outputs = _io(program, program.graph.inputs), _io(program, program.graph.outputs)
    _io_notes(program, inputs, outputs)
    context = {
        "model_name": program.graph.name, "arena_bytes": max(program.plan.arena_bytes, 1),
        "inputs": inputs, "outputs": outputs, "io_buffers": _io_buffers(program),
        "separate_io": program.graph.io_outside_arena, **names(program.options.prefix),
        "arrays": printer.arrays, "structs": printer.structs, "steps": steps,
        "local_functions": list(local_functions.values()),
        "kernel_headers": sorted(headers),
        "state": _state(program), "state_bytes": program.state_bytes,
    }
    if host_build is not None:  # the Makefile builds a kernel library too, when the program calls one
        context.update(extra_sources=host_build.sources, extra_include_dirs=host_build.include_dirs,
                       cflags=" ".join(HOST_FLAGS))
    env = _environment()
    written = []
    for template, name in [("model.h.j2", "model.h"), ("model.c.j2", "model.c")] + (
            [("host/main.c.j2", "main.c"), ("host/Makefile.j2", "Makefile")] if host_build is not None else []):
        path = out_dir / name
        path.write_text(env.get_template(template).render(**context))
        written.append(path)
    written += copy_kernels(headers, sources, out_dir / "kernels", program.options.prefix)
    return written


def write_serve_files(program: Program, dest: Path) -> list[Path]:
    """The serial protocol's C files (templates/app/) for this program's prefix into dest."""
    header, source = dest / "tinygen_serve.h", dest / "tinygen_serve.c"
    shutil.copyfile(templates_dir() / "app" / header.name, header)
    source.write_text(_environment().get_template("app/tinygen_serve.c.j2").render(**names(program.options.prefix)))
    return [header, source]


def copy_kernels(headers, sources, dest: Path, prefix: str) -> list[Path]:
    """The kernels' files the calls need (and the headers those include) into one folder, each
    including first the tg_names.h written beside them, which gives their functions the prefix."""
    dest.mkdir(parents=True, exist_ok=True)
    files = kernel_files(headers, sources)
    for p in files:
        (dest / p.name).write_text(f'#include "{NAMES_HEADER}"\n' + p.read_text())
    names_header = dest / NAMES_HEADER
    names_header.write_text(_environment().get_template("kernel_names.h.j2").render(
        functions=external_functions(files), **names(prefix)))
    return [dest / p.name for p in files] + [names_header]


# What model.c names after what: step k's function (<prefix>_step_k), call k's parameter structs
# and arrays (opk_...; an array shared by several calls after the first), a constant tensor
# (tensorN, its index).
_CALL_SYMBOL = re.compile(r"(?:step_|op)(\d+)(?:_|$)")
_TENSOR_SYMBOL = re.compile(r"tensor(\d+)$")


def symbol_origin(name: str) -> tuple[str, int] | None:
    """Which call ("call", k) or constant tensor ("tensor", index) a model.c symbol belongs to
    (without the prefix of exported names); None for anything else (kernels, the runtime)."""
    if m := _CALL_SYMBOL.match(name):
        return "call", int(m.group(1))
    if m := _TENSOR_SYMBOL.match(name):
        return "tensor", int(m.group(1))
    return None


def names(prefix: str) -> dict:
    """The templates' names: `prefix` of C symbols, `PREFIX` of macros."""
    return {"prefix": prefix, "PREFIX": prefix.upper()}
