"""tinygen.flash_fit: builtin kernels that do not fit a board's flash go back to the reference
kernel op by op, measured with builds for the board, and the program stays bit-exact."""
import shutil

import pytest

from helpers import EXAMPLE, run_cli, shared_or_skip
from test_simulate import tiny_board
from tinygen import flash_fit
from tinygen.backends import builtin
from tinygen.boards import get_board
from tinygen.compiler import compile_model
from tinygen.ops import constant_bytes
from tinygen.options import DEFAULT
from tinygen.simulate import flash_use
from tinygen.toolchain import ARM_GCC
from tinygen.validate import validate

needs_arm_gcc = pytest.mark.skipif(shutil.which(ARM_GCC) is None or shutil.which("arm-none-eabi-nm") is None,
                                   reason="flash is measured with arm-none-eabi-gcc and arm-none-eabi-nm")


def build(own: dict, functions: dict = None, macs: dict = None, over: int = 0) -> flash_fit.Build:
    return flash_fit.Build(over, own, {k: (size, frozenset(ops)) for k, (size, ops) in (functions or {}).items()},
                           macs or {i: 1000 for i in own})


def test_an_out_of_line_kernel_is_saved_only_once_no_op_calls_it():
    builtin = build({1: 100, 2: 100}, {"opt_add_s8": (1000, {1, 2})})
    reference = build({1: 50, 2: 50})
    assert flash_fit._saving(builtin, reference, 1, set()) == 50
    assert flash_fit._saving(builtin, reference, 2, {1}) == 1050


def test_a_reference_kernel_costs_its_code_at_its_first_op_only():
    builtin = build({1: 900, 2: 900})
    reference = build({1: 100, 2: 100}, {"tg_conv2d_s8": (500, {1, 2})})
    assert flash_fit._saving(builtin, reference, 1, set()) == 300
    assert flash_fit._saving(builtin, reference, 2, {1}) == 800


def test_the_ops_that_give_up_the_fewest_macs_per_byte_go_first():
    builtin = build({1: 1100, 2: 1100, 3: 1100}, macs={1: 10_000, 2: 10, 3: 500})
    reference = build({1: 100, 2: 100, 3: 100})
    assert flash_fit.choose(builtin, reference, [1, 2, 3], set(), 0, 1500) == ({2, 3}, 2000)
    assert flash_fit.choose(builtin, reference, [1, 2, 3], {2}, 1000, 1500) == ({2, 3}, 2000)
    assert flash_fit.choose(builtin, reference, [1, 2, 3], {2, 3}, 2000, 1500) == ({2, 3}, 2000)


def _flash_over(program) -> int:
    return flash_fit.measure(program).over


@needs_arm_gcc
def test_a_model_whose_builtin_kernels_overflow_the_flash_fits_with_some_reference_ones_bit_exact():
    roomy = tiny_board(128 * 1024, 1 << 20)
    builtin_bytes = flash_use(compile_model(EXAMPLE, DEFAULT, roomy), roomy).flash_bytes
    reference_bytes = flash_use(compile_model(EXAMPLE, DEFAULT.but(kernels="reference"), roomy), roomy).flash_bytes
    assert builtin_bytes > reference_bytes + 4000, (builtin_bytes, reference_bytes)
    board = tiny_board(128 * 1024, (builtin_bytes + reference_bytes) // 2)
    lines = []
    program = flash_fit.compile_within_flash(EXAMPLE, DEFAULT, board, lines.append)
    assert _flash_over(program) <= 0, lines
    kept = program.options.reference_ops
    optimized = {op.index for op, call in program.calls if call.kernel.startswith("opt_")}
    assert kept and optimized and not optimized & set(kept), (kept, optimized)
    assert "keep their reference kernel: fits" in lines[-1], lines
    assert validate(EXAMPLE, compile_model(EXAMPLE, DEFAULT.but(reference_ops=kept)), samples=10).exact
    assert flash_fit.compile_within_flash(EXAMPLE, DEFAULT.but(optimize="speed"), board).options.reference_ops == ()


@needs_arm_gcc
def test_8_bit_weights_come_first_where_they_are_enough(monkeypatch):
    # Widening takes what an estimate of the code leaves; told the code is free, it overshoots.
    monkeypatch.setattr(builtin, "estimated_flash", lambda calls, sample, code_margin=1: constant_bytes(calls) + sample)
    roomy = tiny_board(128 * 1024, 1 << 20)
    narrow_bytes = flash_use(compile_model(EXAMPLE, DEFAULT.but(wide_weights=False), roomy), roomy).flash_bytes
    board = tiny_board(128 * 1024, narrow_bytes + 100)
    assert flash_fit._widened(compile_model(EXAMPLE, DEFAULT, board))
    lines = []
    program = flash_fit.compile_within_flash(EXAMPLE, DEFAULT, board, lines.append)
    assert not program.options.wide_weights and program.options.reference_ops == (), lines
    assert not flash_fit._widened(program) and "with 8-bit weights (none pre-widened): fits" in lines[-1]


@needs_arm_gcc
def test_a_model_that_fits_keeps_every_builtin_kernel_and_the_cli_says_what_it_chose():
    board = get_board("nucleo_f411re")
    assert flash_fit.compile_within_flash(EXAMPLE, DEFAULT, board).options.reference_ops == ()
    model = shared_or_skip("models/mlperf_ic_resnet8_int8.tflite")
    result = run_cli("simulate", model, "--board", "nucleo_g071rb")
    assert result.returncode == 0, result.stderr
    assert "keep their reference kernel: fits" in result.stderr
    assert "but the reference ones at ops" in result.stdout


def test_without_the_arm_toolchain_the_estimate_decides_and_nothing_is_chosen_op_by_op(monkeypatch):
    import tinygen.simulate

    which = shutil.which
    monkeypatch.setattr(tinygen.simulate.shutil, "which", lambda name: None if name.startswith("arm-") else which(name))
    roomy = tiny_board(128 * 1024, 1 << 20)
    builtin_bytes = flash_use(compile_model(EXAMPLE, DEFAULT, roomy), roomy)
    reference_bytes = flash_use(compile_model(EXAMPLE, DEFAULT.but(kernels="reference"), roomy), roomy)
    assert builtin_bytes.is_estimate and builtin_bytes.flash_bytes > reference_bytes.flash_bytes + 2000
    board = tiny_board(128 * 1024, (builtin_bytes.flash_bytes + reference_bytes.flash_bytes) // 2)
    lines = []
    program = flash_fit.compile_within_flash(EXAMPLE, DEFAULT, board, lines.append)
    assert not any(call.kernel.startswith("opt_") for _, call in program.calls), lines
    assert "without arm-none-eabi-gcc" in lines[-1]


def test_model_c_symbols_are_traced_to_their_call_or_tensor():
    from tinygen.codegen import symbol_origin

    assert symbol_origin("op51_params_channels") == ("call", 51) and symbol_origin("op0_params") == ("call", 0)
    assert symbol_origin("step_12") == ("call", 12) and symbol_origin("tensor15") == ("tensor", 15)
    assert symbol_origin("opt_conv_s8_tiles_90cb558239") is None and symbol_origin("tg_conv2d_s8") is None


def test_reference_ops_must_be_op_indices():
    from tinygen.errors import TinygenError

    for bad in ((-1,), ("3",), (1.5,)):
        with pytest.raises(TinygenError, match="reference_ops must be op indices"):
            DEFAULT.but(reference_ops=bad)
