"""`--kernels cmsis-nn`: Arm's CMSIS-NN library in place of the reference kernels, bit-exact with
TFLite Micro on the host (CMSIS-NN's portable C), on the emulated Cortex-M7 (its DSP code) and on
the emulated Cortex-M55 (its Helium code, with the scratch and kernel-sum buffers sized here).

CMSIS-NN is not part of the repo: these tests need a checkout named by TINYGEN_CMSIS_NN
(`git clone https://github.com/ARM-software/CMSIS-NN`) and skip without one, except the check
that a missing checkout is reported in one line."""
import os
import random
import runpy
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from helpers import EXAMPLE, REPO, SHARED_MODELS, run_cli, shared_or_skip

from tinygen.backends import cmsis_nn
from tinygen.boards import get_board
from tinygen.compiler import compile_model
from tinygen.options import CompileOptions, REFERENCE
from tinygen.errors import TinygenError
from tinygen.inputs import random_inputs
from tinygen.oracle import run_tflm

MODEL_NAMES = [p.stem for p in SHARED_MODELS] or ["(../shared/models absent)"]
BOARD = "qemu_mps2_an500"
CHECKOUT = os.environ.get(cmsis_nn.ENV)
needs_cmsis_nn = pytest.mark.skipif(
    not CHECKOUT, reason=f"{cmsis_nn.ENV} is unset: these tests need a CMSIS-NN checkout "
                         f"(git clone https://github.com/ARM-software/CMSIS-NN; {cmsis_nn.ENV}=PATH)")
_MISSING = [tool for tool in ("arm-none-eabi-gcc", "qemu-system-arm") if shutil.which(tool) is None]
needs_qemu = pytest.mark.skipif(bool(_MISSING), reason=f"{' and '.join(_MISSING)} not installed "
                                "(apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm)")
# Each of these ops must reach CMSIS-NN in the shared models (other ops keep the reference).
COVERED = {"CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "AVERAGE_POOL_2D", "MAX_POOL_2D", "SOFTMAX"}


def _assert_exact(ours, reference):
    assert len(ours) == len(reference)
    for s, (o, r) in enumerate(zip(ours, reference)):
        for i, (a, b) in enumerate(zip(o, r)):
            assert np.array_equal(a, np.asarray(b).reshape(a.shape)), f"sample {s} output {i} differs from TFLM"


def _glue_calls(program):
    return [(op, call) for op, call in program.calls if call.kernel == cmsis_nn.GLUE]


# --- without a checkout (runs in CI) ----------------------------------------------------------

def test_missing_checkout_is_one_line_error():
    with pytest.raises(TinygenError) as e:
        compile_model(EXAMPLE, CompileOptions(patch="off", kernels="cmsis-nn"))
    assert str(e.value).endswith(cmsis_nn.MISSING) and "\n" not in str(e.value)
    assert "--cmsis-nn PATH" in cmsis_nn.MISSING and "github.com/ARM-software/CMSIS-NN" in cmsis_nn.MISSING
    compile_model(EXAMPLE, REFERENCE)  # the other backends need nothing


def test_cli_reports_missing_or_wrong_checkout_in_one_line(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != cmsis_nn.ENV}
    result = run_cli("validate", EXAMPLE, "--samples", "1", "--kernels", "cmsis-nn", env=env)
    assert result.returncode == 2
    assert result.stderr.strip() == f"tinygen: error: {EXAMPLE}: {cmsis_nn.MISSING}"
    result = run_cli("validate", EXAMPLE, "--samples", "1", "--kernels", "cmsis-nn", "--cmsis-nn", tmp_path, env=env)
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1
    assert str(tmp_path) in result.stderr and cmsis_nn.MISSING in result.stderr


# --- with a checkout ------------------------------------------------------------------------

@needs_cmsis_nn
@pytest.mark.parametrize("patch", ["off", "auto"])
@pytest.mark.parametrize("name", MODEL_NAMES)
def test_shared_model_on_host_is_bit_exact(name, patch):
    from tinygen.validate import validate

    model = shared_or_skip(f"models/{name}.tflite")
    program = compile_model(model, CompileOptions(patch=patch, kernels="cmsis-nn", cmsis_nn=CHECKOUT))
    kinds = {op.kind for op, _ in _glue_calls(program)}
    assert kinds == {op.kind for op in program.graph.ops} & (COVERED | {"ADD", "MUL"}), "an op missed CMSIS-NN"
    report = validate(model, program, samples=10)
    assert report.max_abs_diff == 0, report


@needs_cmsis_nn
@needs_qemu
@pytest.mark.parametrize("patch", ["off", "auto"])
@pytest.mark.parametrize("name", MODEL_NAMES)
def test_shared_model_on_cortex_m7_is_bit_exact(name, patch):
    from tinygen.emulation import run_emulated

    model = shared_or_skip(f"models/{name}.tflite")
    board = get_board(BOARD)
    program = compile_model(model, CompileOptions(patch=patch, kernels="cmsis-nn", cmsis_nn=CHECKOUT), board)
    assert _glue_calls(program)
    samples = random_inputs(program.graph, 4, seed=11)
    ours, cycles = run_emulated(program, board, samples, profile=False)
    _assert_exact(ours, run_tflm(model, samples, len(program.graph.outputs)))
    assert all(t > 0 for t in cycles["total"])


@needs_cmsis_nn
@needs_qemu
@pytest.mark.parametrize("name", ["mlperf_kws_dscnn_int8", "tflm_person_detect_int8"])
def test_shared_model_on_cortex_m55_is_bit_exact(name):
    """Helium's code paths: convolutions (one-channel depthwise as a convolution), depthwise,
    fully connected with its constant kernel sums, pools, softmax; a patch-based stage's tiles."""
    from tinygen.emulation import run_emulated

    model = shared_or_skip(f"models/{name}.tflite")
    board = get_board("qemu_mps3_an547")
    program = compile_model(model, CompileOptions(kernels="cmsis-nn", cmsis_nn=CHECKOUT), board)
    fully_connected = [c for _, c in _glue_calls(program) if c.function == "tg_cmsis_fully_connected_s8"]
    assert all(c.args[0].fields["kernel_sum"] is not None for c in fully_connected)
    samples = random_inputs(program.graph, 3, seed=11)
    ours, _ = run_emulated(program, board, samples, profile=False)
    _assert_exact(ours, run_tflm(model, samples, len(program.graph.outputs)))


@needs_cmsis_nn
def test_generated_host_project_builds_cmsis_nn_with_make(tmp_path):
    model = shared_or_skip("models/mlperf_kws_dscnn_int8.tflite")
    result = run_cli("generate", model, "-o", tmp_path / "out", "--kernels", "cmsis-nn", "--cmsis-nn", CHECKOUT)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out" / "kernels" / "cmsis_nn_glue.c").is_file()
    assert "arm_convolve_wrapper_s8.c" in (tmp_path / "out" / "Makefile").read_text()
    built = subprocess.run(["make", "-C", str(tmp_path / "out")], capture_output=True, text=True, check=False)
    assert built.returncode == 0, built.stderr
    program = compile_model(model, CompileOptions(patch="off", kernels="cmsis-nn", cmsis_nn=CHECKOUT))
    samples = random_inputs(program.graph, 2, seed=3)
    raw = b"".join(s[0].astype(np.int8).tobytes() for s in samples)
    out = subprocess.run([str(tmp_path / "out" / "model")], input=raw, capture_output=True, check=True).stdout
    reference = run_tflm(model, samples, 1)
    assert out == b"".join(np.asarray(r[0], np.int8).tobytes() for r in reference)


# --- scratch sizes: the mirrored *_get_buffer_size against the checkout's own ---------------

_HELPER = r"""
#include <stdio.h>
#include <string.h>
#include "arm_nnfunctions.h"

static cmsis_nn_dims dims(int n, int h, int w, int c) { cmsis_nn_dims d; d.n = n; d.h = h; d.w = w; d.c = c; return d; }

int main(void) {
  char kind[8];
  int v[16];
  while (scanf("%7s", kind) == 1) {
    for (int i = 0; i < 16; ++i) if (scanf("%d", &v[i]) != 1) return 1;
    /* batches in_h in_w in_c kh kw filter_c out_c out_h out_w stride_h stride_w pad_h pad_w dil_h dil_w */
    cmsis_nn_dims in = dims(v[0], v[1], v[2], v[3]), out = dims(v[0], v[8], v[9], v[7]);
    if (strcmp(kind, "conv") == 0) {
      cmsis_nn_conv_params p;
      memset(&p, 0, sizeof p);
      p.stride.h = v[10]; p.stride.w = v[11]; p.padding.h = v[12]; p.padding.w = v[13];
      p.dilation.h = v[14]; p.dilation.w = v[15];
      cmsis_nn_dims f = dims(v[7], v[4], v[5], v[6]);
      printf("%d %d %d\n", (int)arm_convolve_wrapper_s8_get_buffer_size(&p, &in, &f, &out),
             (int)arm_convolve_wrapper_s8_get_buffer_size_dsp(&p, &in, &f, &out),
             (int)arm_convolve_wrapper_s8_get_buffer_size_mve(&p, &in, &f, &out));
    } else if (strcmp(kind, "dw") == 0) {
      cmsis_nn_dw_conv_params p;
      memset(&p, 0, sizeof p);
      p.ch_mult = v[7] / v[3];
      p.stride.h = v[10]; p.stride.w = v[11]; p.padding.h = v[12]; p.padding.w = v[13];
      p.dilation.h = v[14]; p.dilation.w = v[15];
      cmsis_nn_dims f = dims(1, v[4], v[5], v[7]);
      printf("%d %d %d\n", (int)arm_depthwise_conv_wrapper_s8_get_buffer_size(&p, &in, &f, &out),
             (int)arm_depthwise_conv_wrapper_s8_get_buffer_size_dsp(&p, &in, &f, &out),
             (int)arm_depthwise_conv_wrapper_s8_get_buffer_size_mve(&p, &in, &f, &out));
    } else {
      printf("%d %d %d\n", (int)arm_avgpool_s8_get_buffer_size(v[9], v[3]),
             (int)arm_avgpool_s8_get_buffer_size_dsp(v[9], v[3]), (int)arm_avgpool_s8_get_buffer_size_mve(v[9], v[3]));
    }
  }
  return 0;
}
"""


def _library_sizes(tmp_path, queries: list[tuple]) -> list[tuple[int, int, int]]:
    """(portable, DSP, Helium) sizes from the checkout's functions, built for the host."""
    root = Path(CHECKOUT)
    helper = tmp_path / "sizes.c"
    helper.write_text(_HELPER)
    sources = [p for p in cmsis_nn.library_sources(root) if "get_buffer_size" in p.name]
    exe = tmp_path / "sizes"
    subprocess.run(["cc", "-O1", "-std=c99", "-I", str(root / "Include"), "-o", str(exe), str(helper),
                    *map(str, sources)], check=True, capture_output=True)
    text = "\n".join(" ".join(map(str, q)) for q in queries)
    out = subprocess.run([str(exe)], input=text, capture_output=True, text=True, check=True).stdout.split()
    return [tuple(int(v) for v in out[i:i + 3]) for i in range(0, len(out), 3)]


def _query(kind: str, f: dict) -> tuple:
    def first(*names, default=None):
        return next((f[n] for n in names if n in f), default)

    return (kind, f["batches"], f["in_h"], f["in_w"], first("in_c", "channels"), first("kernel_h", "filter_h"),
            first("kernel_w", "filter_w"), first("filter_c", "in_c", "channels"), first("out_c", "channels"),
            f["out_h"], f["out_w"], f["stride_h"], f["stride_w"], f["pad_top"], f["pad_left"],
            first("dilation_h", default=1), first("dilation_w", default=1))


PATHS = ("c", "dsp", "mve")  # CMSIS-NN's code paths, in the helper's order


def _mirrored(kind: str, f: dict, path: str) -> int:
    if kind == "conv":
        return cmsis_nn.conv_scratch_bytes(f, path)
    if kind == "dw":
        return cmsis_nn.depthwise_scratch_bytes(f, path)
    return cmsis_nn.avg_pool_scratch_bytes(f, path)


_KINDS = {"tg_cmsis_conv_s8": "conv", "tg_cmsis_depthwise_s8": "dw", "tg_cmsis_avg_pool_s8": "avg"}


@needs_cmsis_nn
def test_scratch_sizes_match_the_library(tmp_path):
    cases = []  # (kind, fields as passed to CMSIS-NN)
    for model in SHARED_MODELS:
        for patch in ("off", "auto"):
            for _, call in _glue_calls(compile_model(model, CompileOptions(patch=patch, kernels="cmsis-nn", cmsis_nn=CHECKOUT))):
                if call.function in _KINDS:
                    cases.append((_KINDS[call.function], call.args[0].fields))
    rng = random.Random(5)
    for _ in range(400):  # geometries the shared models lack
        k = rng.choice([1, 1, 2, 3, 3, 5])
        c = rng.choice([1, 3, 4, 8, 16])
        f = {"batches": rng.choice([1, 1, 1, 2]), "in_h": rng.choice([1, 5, 12]), "in_w": rng.randint(1, 12), "in_c": c,
             "kernel_h": rng.choice([1, k]), "kernel_w": k, "out_h": 4, "out_w": 4, "stride_h": rng.randint(1, 2),
             "stride_w": rng.randint(1, 2), "pad_top": rng.choice([0, 0, 1, 2]), "pad_left": rng.choice([0, 0, 1, 2]),
             "dilation_h": rng.choice([1, 1, 2]), "dilation_w": rng.choice([1, 1, 2])}
        cases.append(("conv", {**f, "filter_c": rng.choice([c, c, max(1, c // 2)]), "out_c": 8}))
        mult = rng.choice([1, 1, 2])
        cases.append(("dw", {**f, "out_c": c * mult, "depth_multiplier": mult}))
        cases.append(("avg", {**f, "channels": c, "filter_h": f["kernel_h"], "filter_w": k}))
    library = _library_sizes(tmp_path, [_query(kind, f) for kind, f in cases])
    for (kind, f), (portable, dsp, mve) in zip(cases, library):
        ours = tuple(_mirrored(kind, f, path) for path in PATHS)
        if kind == "conv" and f["kernel_h"] == f["kernel_w"] == 1 and f["in_c"] != f["filter_c"]:
            # A grouped 1x1 convolution runs arm_convolve_s8, which needs its buffer; CMSIS-NN
            # v7.0.0's size function took it for a pointwise one (0 bytes), later releases do not.
            assert ours[0] == ours[1] >= max(portable, dsp) and ours[0] > 0 and ours[2] >= mve, (kind, f)
            continue
        assert ours == (portable, dsp, mve), (kind, f)


# --- ops and geometries the shared models lack, through small Keras models -------------------

def _keras_cases():
    """name: (build, input shapes, the ops expected to run in CMSIS-NN)."""
    from helpers import tf

    L = tf().keras.layers
    return {
        "maxpool_and_strided_1x1": (lambda x: L.Conv2D(6, 1, strides=2)(L.MaxPooling2D(2)(
            L.Conv2D(8, 3, padding="same", activation="relu")(x))), [(13, 11, 3)], {"CONV_2D", "MAX_POOL_2D"}),
        "grouped_and_dilated": (lambda x: L.Conv2D(6, 3, dilation_rate=2, padding="same")(
            L.Conv2D(8, 3, groups=2, padding="same")(x)), [(9, 10, 4)], {"CONV_2D"}),
        "depthwise_multiplier_and_dilation": (lambda x: L.DepthwiseConv2D(3, dilation_rate=2, padding="same")(
            L.DepthwiseConv2D(5, depth_multiplier=4, strides=2, padding="same")(x)), [(11, 12, 3)],
            {"DEPTHWISE_CONV_2D"}),
        "depthwise_3x3_with_folded_padding": (lambda x: L.DepthwiseConv2D(3)(
            L.ZeroPadding2D(((1, 2), (1, 1)))(x)), [(7, 9, 8)], {"DEPTHWISE_CONV_2D"}),
        # A right padding of 2 would make CMSIS-NN's 3x3 kernel read past the row: reference kept.
        "depthwise_3x3_wide_right_padding": (lambda x: L.DepthwiseConv2D(3)(
            L.ZeroPadding2D(((1, 1), (1, 2)))(x)), [(7, 9, 8)], set()),
        "mul_add_avgpool_dense": (lambda a, b: L.Dense(5)(L.Flatten()(L.AveragePooling2D(3, strides=2, padding="same")(
            L.Add()([L.Multiply()([a, b]), a])))), [(6, 7, 5), (6, 7, 5)],
            {"MUL", "ADD", "AVERAGE_POOL_2D", "FULLY_CONNECTED"}),
    }


KERAS_CASES = ["maxpool_and_strided_1x1", "grouped_and_dilated", "depthwise_multiplier_and_dilation",
               "depthwise_3x3_with_folded_padding", "depthwise_3x3_wide_right_padding", "mul_add_avgpool_dense"]


@needs_cmsis_nn
@pytest.mark.slow
@pytest.mark.parametrize("case", KERAS_CASES)
def test_small_models_on_host_and_cortex_m7(tmp_path, case):
    from helpers import keras_model, quantize

    from tinygen.emulation import run_emulated
    from tinygen.validate import validate

    build, shapes, expected = _keras_cases()[case]
    model = quantize(keras_model(build, shapes), tmp_path / "m.tflite")
    board = get_board(BOARD)
    for target in (None, board):
        # every op CMSIS-NN has, whatever the arena
        program = compile_model(model, CompileOptions(patch="off", kernels="cmsis-nn", cmsis_nn=CHECKOUT, optimize="speed"), target)
        assert {op.kind for op, _ in _glue_calls(program)} == expected
        if target is None:
            assert validate(model, program, samples=10).max_abs_diff == 0
        elif not _MISSING:
            samples = random_inputs(program.graph, 5, seed=2)
            ours, _ = run_emulated(program, board, samples, profile=False)
            _assert_exact(ours, run_tflm(model, samples, len(program.graph.outputs)))


# --- in-place bounds: each kernel run with its output exactly at the declared limit -----------

def _single_op_cases():
    from helpers import tf

    L = tf().keras.layers
    return {
        "conv_1x1_strided": (lambda x: L.Conv2D(16, 1, strides=2)(x), [(9, 9, 8)]),
        "conv_1x1_strided_narrow": (lambda x: L.Conv2D(4, 1, strides=(1, 2))(x), [(6, 9, 8)]),
        "conv_3x3": (lambda x: L.Conv2D(12, 3, padding="same")(x), [(7, 9, 6)]),
        "conv_3x3_strided": (lambda x: L.Conv2D(5, 3, strides=2, padding="same")(x), [(9, 9, 6)]),
        "depthwise_3x3": (lambda x: L.DepthwiseConv2D(3, padding="same")(x), [(7, 9, 8)]),
        "depthwise_5x5": (lambda x: L.DepthwiseConv2D(5, padding="same")(x), [(7, 9, 8)]),
        "depthwise_multiplier_4": (lambda x: L.DepthwiseConv2D(3, depth_multiplier=4, padding="same")(x), [(7, 9, 2)]),
        "avg_pool": (lambda x: L.AveragePooling2D(3, strides=1, padding="same")(x), [(7, 9, 8)]),
        "add": (lambda a, b: L.Add()([a, b]), [(5, 7, 8), (5, 7, 8)]),
        "mul": (lambda a, b: L.Multiply()([a, b]), [(5, 7, 8), (5, 7, 8)]),
    }


def _place_at_limit(program, call, entry) -> None:
    """Rewrite the plan of a one-op program: the output `entry.forward` bytes from the input it
    may overwrite, every other buffer (other inputs, scratch) above both."""
    from tinygen.ops import call_scratches

    out = program.graph.outputs[0]
    base = max(0, -entry.forward) + 16
    program.offsets[id(entry.input)] = base
    program.offsets[id(out)] = base + entry.forward
    top = max(base + entry.input.nbytes, base + entry.forward + out.nbytes)
    for item, nbytes in [(t, t.nbytes) for t in program.graph.inputs if t is not entry.input] + \
                        [(sc, sc.nbytes) for sc in call_scratches(call)]:
        program.offsets[id(item)] = top
        top += nbytes
    program.plan.arena_bytes = top + 16


@needs_cmsis_nn
@pytest.mark.slow
@pytest.mark.parametrize("case", ["conv_1x1_strided", "conv_1x1_strided_narrow", "conv_3x3", "conv_3x3_strided",
                                  "depthwise_3x3", "depthwise_5x5", "depthwise_multiplier_4", "avg_pool", "add",
                                  "mul"])
def test_inplace_bounds_hold_at_their_limit(tmp_path, case):
    from helpers import keras_model, quantize

    from tinygen.emulation import run_emulated
    from tinygen.validate import build_host, run_host

    build, shapes = _single_op_cases()[case]
    model = quantize(keras_model(build, shapes), tmp_path / "m.tflite")
    board = get_board(BOARD)
    for target in [None] + ([] if _MISSING else [board]):
        # the CMSIS-NN kernel, whatever the arena
        program = compile_model(model, CompileOptions(patch="off", kernels="cmsis-nn", cmsis_nn=CHECKOUT, optimize="speed"), target)
        (_, call), = program.calls
        assert call.kernel == cmsis_nn.GLUE and call.inplace
        samples = random_inputs(program.graph, 4, seed=1)
        reference = run_tflm(model, samples, 1)
        for entry in call.inplace:
            _place_at_limit(program, call, entry)
            if target is None:
                ours = run_host(build_host(program, tmp_path / f"host{id(entry)}"), program, samples)
            else:
                ours, _ = run_emulated(program, board, samples, profile=False)
            _assert_exact(ours, reference)


# --- PlatformIO ------------------------------------------------------------------------------

def _load_build_script():
    """templates/platformio/cmsis_nn_build.py as PlatformIO runs it, with a stand-in for SCons."""
    registered = []

    class Env:
        def AddBuildMiddleware(self, callback, pattern=None):
            registered.append((callback, pattern))

    def scons_import(name):
        assert name == "env"
        sys._getframe(1).f_globals["env"] = Env()  # as SCons does: into the calling script's globals

    namespace = runpy.run_path(str(REPO / "templates" / "platformio" / cmsis_nn.PLATFORMIO_SCRIPT),
                               init_globals={"Import": scons_import})
    assert len(registered) == 1 and registered[0][1] is None
    return namespace


def test_platformio_script_keeps_only_the_integer_sources():
    script = _load_build_script()
    keep = script["keep"]
    lib = "/p/.pio/libdeps/nucleo_f746zg/CMSIS-NN"
    assert keep(f"{lib}/Source/ConvolutionFunctions/arm_convolve_s8.c")
    assert keep("/p/lib/tinygen_model/model.c") and keep("/p/src/main.cpp")
    for dropped in ("Source/ConvolutionFunctions/arm_convolve_f32.c", "Source/NNSupportFunctions/arm_nntables_flt.c",
                    "Source/Bindings/arm_py_module.cpp", "Tests/UnitTest/unittest_targets.c",
                    "Examples/ArmNNExamples/cifar10/arm_nnexamples_cifar10.cpp"):
        assert not keep(f"{lib}/{dropped}"), dropped


@needs_cmsis_nn
def test_platformio_project_pins_cmsis_nn_and_its_sources_build_for_the_board(tmp_path):
    model = shared_or_skip("models/mlperf_kws_dscnn_int8.tflite")
    board = get_board("nucleo_f746zg")
    result = run_cli("generate", model, "--board", board.name, "-o", tmp_path / "p", "--kernels", "cmsis-nn",
                  "--cmsis-nn", CHECKOUT)
    assert result.returncode == 0, result.stderr
    ini = (tmp_path / "p" / "platformio.ini").read_text()
    assert f"lib_deps = {cmsis_nn.PLATFORMIO_LIB_DEPS}" in ini and "extra_scripts = pre:cmsis_nn_build.py" in ini
    assert (tmp_path / "p" / "cmsis_nn_build.py").is_file()
    if shutil.which("pio"):
        from tinygen.firmware.platformio import project_config

        env = dict(dict(project_config(tmp_path / "p"))[f"env:{board.name}"])
        assert env["lib_deps"] == [cmsis_nn.PLATFORMIO_LIB_DEPS] and env["extra_scripts"] == ["pre:cmsis_nn_build.py"]
    # What PlatformIO would compile from the package (the checkout stands in for it) builds for
    # the board's core with the glue, no warnings about missing prototypes or types.
    gcc = shutil.which("arm-none-eabi-gcc")
    if gcc is None:
        return
    keep = _load_build_script()["keep"]
    root = Path(CHECKOUT)
    kept = [p for p in root.rglob("*")
            if p.suffix in (".c", ".cpp") and keep(Path("/x/CMSIS-NN") / p.relative_to(root))]
    assert kept and all(p.suffix == ".c" and p.parent.parent.name == "Source" for p in kept)
    assert set(cmsis_nn.library_sources(root)) <= set(kept)
    library = tmp_path / "p" / "lib" / "tinygen_model"
    objects = tmp_path / "o"
    objects.mkdir()
    compiled = subprocess.run([gcc, "-c", "-O2", "-std=c99", *board.gcc_flags(), "-I", str(root / "Include"),
                               "-I", str(library), str(library / "kernels" / "cmsis_nn_glue.c"), *map(str, kept)],
                              cwd=objects, capture_output=True, text=True, check=False)
    assert compiled.returncode == 0, compiled.stderr


@needs_cmsis_nn
@pytest.mark.parametrize("board", [None, BOARD])
@pytest.mark.parametrize("rank, batches", [(1, 1), (2, 2)])
def test_svdf_int16_state_through_cmsis_nn_over_sequences(tmp_path, board, rank, batches):
    """arm_svdf_state_s16_s8 for an SVDF with an int16 state: bit-exact over sequences of
    invokes on the host and the emulated M7; an int8 state keeps the reference kernel."""
    from helpers import svdf_model
    from tinygen.validate import validate

    if board and _MISSING:
        pytest.skip(f"{' and '.join(_MISSING)} not installed")
    path = svdf_model(tmp_path / "svdf.tflite", batches=batches, units=4, rank=rank, memory=5, seed=rank)
    # speed: alone in its model the SVDF sets the peak, where memory-first keeps the scratch-free reference
    options = CompileOptions(kernels="cmsis-nn", cmsis_nn=CHECKOUT, optimize="speed")
    program = compile_model(path, options, get_board(board) if board else None)
    assert [call.function for _, call in _glue_calls(program)] == ["tg_cmsis_svdf_s8_s16"]
    report = validate(path, program, samples=12, steps=4)
    assert report.max_abs_diff == 0, report
    int8_state = svdf_model(tmp_path / "svdf8.tflite", state_dtype="int8", seed=rank)
    assert not _glue_calls(compile_model(int8_state, options))
