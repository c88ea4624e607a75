"""The `tinygen` group, the options every compiling command shares, and the top level that turns
errors into one line and an exit code (tinygen.cli registers the commands on it).

Exit codes: 0 success; 1 the check ran and failed (e.g. outputs differ from TFLite Micro);
2 bad input (unreadable or unsupported model, bad option, existing output directory); 3 an
internal error (a bug in tinygen: one line asks for a report; `--debug` shows the traceback).
"""
from __future__ import annotations

import functools
import math
import sys
import traceback
from pathlib import Path

import click

from tinygen.errors import CheckFailed, TinygenError
from tinygen import options as defaults
from tinygen.options import CompileOptions

MODEL = click.argument("model", type=click.Path(dir_okay=False, path_type=Path))


class Number(click.FloatRange):
    """click's FloatRange that also refuses NaN (which every bound lets through)."""

    def convert(self, value, param, ctx):
        number = super().convert(value, param, ctx)
        if math.isnan(number):
            self.fail(f"{value!r} is not a number", param, ctx)
        return number


SEED = click.IntRange(0, (1 << 32) - 1)  # numpy's legacy seeding (the search's) takes 32 bits
POSITIVE = Number(0, None, min_open=True)
COUNT, AT_LEAST_ONE = click.IntRange(0, None), click.IntRange(1, None)


def planning_options(fn):
    """--patch, --max-mac-overhead, --kernels, --optimize, --io, --io-buffers, --prefix and
    --cmsis-nn: how the model is compiled, shared by every command that compiles; the command gets
    them as one tinygen.options.CompileOptions, `compile_options`."""
    @functools.wraps(fn)
    def command(*args, patch_mode, max_mac_overhead, kernels, optimize, io, io_buffers, prefix, cmsis_nn, **kwargs):
        if given("cmsis_nn") and kernels != "cmsis-nn":
            raise TinygenError("--cmsis-nn applies to --kernels cmsis-nn only")
        if given("max_mac_overhead") and patch_mode == "off":
            raise TinygenError("--max-mac-overhead applies to --patch auto only")
        options = CompileOptions(patch=patch_mode, max_mac_overhead=max_mac_overhead, kernels=kernels,
                                 optimize=optimize, io=io, io_buffers=io_buffers, prefix=prefix, cmsis_nn=cmsis_nn)
        return fn(*args, compile_options=options, **kwargs)

    command = click.option("--prefix", default=defaults.DEFAULT.prefix, show_default=True, metavar="NAME",
                           help="Prefix of every C symbol of the generated library (NAME_invoke, NAME_input, "
                           "..., the kernels' too; macros in upper case), so that several models link into "
                           "one firmware.")(command)
    command = click.option("--io-buffers", type=click.Choice(defaults.IO_BUFFERS),
                           default=defaults.DEFAULT.io_buffers, show_default=True,
                           help="arena: inputs and outputs live in the arena, and invoke may overwrite them; "
                           "separate: they have buffers of their own outside it, invoke leaves the inputs as "
                           "they are, and the arena holds nothing between invokes.")(command)

    command = click.option("--io", type=click.Choice(defaults.IO_MODES), default=defaults.DEFAULT.io,
                           show_default=True, help="model: the C API takes and returns the model's own input "
                           "and output types; int8: the boundary QUANTIZE/DEQUANTIZE ops are dropped and it "
                           "takes and returns int8 (model.h gives each one's scale and zero point, and float "
                           "helpers).")(command)
    command = click.option("--optimize", type=click.Choice(defaults.OPTIMIZE), default=defaults.DEFAULT.optimize,
                           show_default=True, help="auto: the fastest kernels whose arena fits the board, "
                           "memory's slower variants only as far as needed to fit (the host: speed); memory: "
                           "at the layers that set peak SRAM, slower kernel variants wherever they shrink it; "
                           "speed: the fastest kernels everywhere. Except with speed, builtin kernels whose flash "
                           "does not fit a board go back to the reference kernel at the ops that cost the fewest "
                           "MACs per byte saved, until it fits (measured with builds for the board).")(command)
    command = click.option("--cmsis-nn", metavar="PATH", default=None, envvar="TINYGEN_CMSIS_NN",
                           help="A CMSIS-NN checkout, for --kernels cmsis-nn (default: $TINYGEN_CMSIS_NN).")(command)
    command = click.option("--kernels", type=click.Choice(defaults.KERNELS), default=defaults.DEFAULT.kernels,
                           show_default=True, help="builtin: tinygen's optimized kernels; reference: the plain "
                           "reference kernels; cmsis-nn: Arm's CMSIS-NN library where it has the op.")(command)
    command = click.option("--max-mac-overhead", default=defaults.DEFAULT.max_mac_overhead, show_default=True,
                           type=Number(0, None), help="Extra MACs patch-based execution may cost, "
                           "as a fraction of the model's MACs.")(command)
    return click.option("--patch", "patch_mode", type=click.Choice(defaults.PATCH_MODES),
                        default=defaults.DEFAULT.patch, show_default=True, help="auto: run the memory-heaviest "
                        "first stages tile by tile where that lowers peak SRAM; off: layer by layer.")(command)


def given(name: str) -> bool:
    """Whether the option `name` of the running command was given on the command line."""
    return click.get_current_context().get_parameter_source(name) == click.core.ParameterSource.COMMANDLINE


def require_images_for(preprocess: dict, files) -> None:
    """--preprocess only changes how photos are read: refuse it when no photo is given."""
    from tinygen.preprocess import IMAGE_SUFFIXES

    if preprocess and not any(Path(f).suffix.lower() in IMAGE_SUFFIXES for f in files):
        raise TinygenError("--preprocess applies to image inputs (--input photo.jpg), and none is given")


def _overrides(ctx, param, value):
    from tinygen.preprocess import parse_overrides

    return parse_overrides(value)


preprocess_option = click.option(
    "--preprocess", "preprocess", multiple=True, metavar="SETTINGS", callback=_overrides,
    help="How photos become the model's input, instead of what is inferred from it (size, RGB or gray from "
         "its shape, pixel range from its quantization): e.g. range=-1,1,color=gray,resize=bilinear.")


def board_option(help_text: str):
    return click.option("--board", default=None, metavar="NAME", help=help_text + " (see `tinygen boards`)")


def compile_for(model: Path, compile_options: CompileOptions, board_name: str | None):
    """The program for the board, with reference kernels where the builtin ones would not fit its
    flash (tinygen.flash_fit; what it chose is said on stderr)."""
    from tinygen.flash_fit import compile_within_flash

    return compile_within_flash(model, compile_options, board_named(board_name),
                                lambda line: click.echo(line, err=True))


def board_named(name: str | None):
    from tinygen.boards import get_board

    return get_board(name or "host")  # an unknown board fails before any work


def require_fit(model: Path, program, force: bool) -> None:
    """Refuse to write firmware for a board the model does not fit, unless forced."""
    from tinygen.simulate import fit_of

    verdict = fit_of(program)
    if not verdict["fits"] and not force:
        raise CheckFailed(f"{model}: {verdict['fit_note']} (`tinygen simulate --board {program.target.name}` "
                          "shows where; --force writes it anyway)")


def serial_options(fn):
    """--port, --no-flash and --project: how a command reaches a real board; the command gets
    them as one tinygen.firmware.serving.SerialLink, `link` (refuse_link_unless_real checks them)."""
    @functools.wraps(fn)
    def command(*args, port, no_flash, project, **kwargs):
        from tinygen.firmware.serving import SerialLink

        return fn(*args, link=SerialLink(port, not no_flash, project), **kwargs)

    command = click.option("--project", type=click.Path(file_okay=False, path_type=Path), default=None,
                           help="Where a real board's PlatformIO project is written before flashing "
                           "(default: ./tinygen_MODEL_BOARD).")(command)
    command = click.option("--no-flash", is_flag=True, help="A real board already runs this model's firmware "
                           "(as flashed by an earlier run): do not build and flash it.")(command)
    return click.option("--port", default=None, help="A real board's serial port, or a pyserial URL such as "
                        "socket://HOST:PORT (default: the only serial port there is).")(command)


def refuse_link_unless_real(board) -> None:
    """--port, --no-flash and --project only mean something for a real board."""
    if (board is None or board.emulator or board.is_host) and any(map(given, ("port", "no_flash", "project"))):
        where = "the host" if board is None or board.is_host else f"{board.name}, an emulated board"
        raise TinygenError(f"--port, --no-flash and --project apply to real boards, not {where}")


def emulated_board(name: str):
    from tinygen.firmware import require_emulated

    board = board_named(name)
    require_emulated(board)
    return board


def progress(label: str):
    """Progress on stderr for runs of several samples: `label: done/total`, rewritten in place on
    a terminal; elsewhere (a log) a plain line at every tenth of the way."""
    on_terminal = sys.stderr.isatty()

    def update(done: int, total: int) -> None:
        if total < 5:
            return
        if on_terminal:
            click.echo(f"\r{label}: {done}/{total}", err=True, nl=done >= total)
        elif done == total or done * 10 // total != (done - 1) * 10 // total:
            click.echo(f"{label}: {done}/{total}", err=True)

    return update


def _fail(message: str, code: int = TinygenError.exit_code) -> None:
    click.echo(f"tinygen: error: {message}", err=True)
    sys.exit(code)


INTERNAL_ERROR_EXIT_CODE = 3
ROOT = Path(__file__).resolve().parents[2]  # holds the tinygen package


def main() -> None:
    settings = {"debug": False}
    try:
        cli(standalone_mode=False, obj=settings)
    except TinygenError as e:
        _fail(str(e), e.exit_code)
    except click.exceptions.Abort:
        _fail("aborted")
    except click.ClickException as e:  # usage errors and option ranges included
        _fail(e.format_message())
    except Exception as e:  # noqa: BLE001 - a bug: one line asking for a report, unless --debug
        if settings["debug"]:
            raise
        click.echo(f"tinygen: internal error: {internal_error(e)}; please report it with the model and command",
                   err=True)
        sys.exit(INTERNAL_ERROR_EXIT_CODE)


def internal_error(error: Exception) -> str:
    """`<Type> at <file>:<line> in <function>: <message>`, at the innermost frame of tinygen's
    own code (a library's frame only when none is tinygen's)."""
    frames = traceback.extract_tb(error.__traceback__)
    frame = ([f for f in frames if _project_file(f.filename)] or frames)[-1]
    shown = _project_file(frame.filename) or Path(*Path(frame.filename).parts[-2:])
    message = " ".join(str(error).split()) or "(no message)"
    return f"{type(error).__name__} at {shown}:{frame.lineno} in {frame.name}: {message[:300]}"


def _project_file(filename: str) -> Path | None:
    path = Path(filename).resolve()
    if path.is_relative_to(ROOT / "tinygen"):
        return path.relative_to(ROOT)
    return None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="tinygen")
@click.option("--debug", is_flag=True, help="Let an internal error's traceback through (for a bug report).")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """Compile int8 TensorFlow Lite models into plain C for microcontrollers.

    \b
    Start with:
      tinygen inspect model.tflite            what is in the model, layer by layer
      tinygen validate model.tflite           bit-exact check against TFLite Micro
      tinygen generate model.tflite -o out/   C sources (model.c, model.h, kernels/)
      tinygen simulate model.tflite --board B SRAM per layer, flash, and whether it fits B
      tinygen run model.tflite --board qemu_mps2_an500    run it on an emulated Cortex-M7
      tinygen profile model.tflite --board qemu_mps2_an500 cycles per layer
      tinygen generate model.tflite --board disco_f746ng -o out/  a PlatformIO project
      tinygen flash out/ --board disco_f746ng  build and upload it
      tinygen boards                          the boards tinygen knows
      tinygen search --board B --data DIR -o out/   find and train a network that fits B
      tinygen demo person-detection ...      photos to answers on a board

    Exit codes: 0 done, 1 a check ran and failed, 2 bad input (one line
    says what), 3 an internal error (a bug: please report it).
    """
    ctx.ensure_object(dict)["debug"] = debug


def kib(n) -> str:
    if n is None:
        return "-"
    return f"{n / (1 << 20):.4g} MB" if n >= (1 << 20) else f"{n / 1024:.4g} KB"
