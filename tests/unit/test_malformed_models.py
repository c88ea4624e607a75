"""Regression tests for issue 10: every malformed model, option and output place that once ended
in a traceback is one line naming the problem, exit 2, with nothing left behind; an internal error
is one line, exit 3 (the traceback only with --debug)."""
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from helpers import EXAMPLE, assert_one_line_error, run_cli, write_model

# The example's ops: 0 CONV_2D, 1 DEPTHWISE_CONV_2D, 2 CONV_2D, 3 ADD, 4 MAX_POOL_2D, 5 CONV_2D,
# 6 MEAN, 7 FULLY_CONNECTED, 8 SOFTMAX; tensor 11 is op 0's weights, 10 its bias, 12 its output.


def edited(tmp_path: Path, edit) -> Path:
    """The example model with edit(model, its subgraph) applied through the schema's object API."""
    from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as schema

    model = schema.ModelT.InitFromObj(schema.Model.GetRootAs(EXAMPLE.read_bytes(), 0))
    edit(model, model.subgraphs[0])
    return write_model(model, tmp_path / "bad.tflite")


def _set(obj, **fields):
    for name, value in fields.items():
        setattr(obj, name, value)


def _scale(t, value):
    t.quantization.scale = np.array([value], np.float32)


def _shorter_bias(model, g):
    bias = g.tensors[10]
    bias.shape = [7]
    model.buffers[bias.buffer].data = model.buffers[bias.buffer].data[:28]


def _fewer_channel_scales(model, g):
    q = g.tensors[11].quantization
    q.scale, q.zeroPoint = q.scale[:7], q.zeroPoint[:7]


TRACEBACKS = {  # where the traceback was -> the malformed model, the words refusing it
    "low_memory_order, an op reads its own output":
        (lambda m, g: _set(g.operators[3], inputs=[12, 15]), ["op 3 (ADD", "reads its own output", "tensor 15"]),
    "low_memory_order, a cycle":
        (lambda m, g: _set(g.operators[1], inputs=[14, 9, 8]), ["op 1 (DEPTHWISE_CONV_2D", "before op 2"]),
    "round_half_away, scale NaN": (lambda m, g: _scale(g.tensors[12], np.nan), ["tensor 12", "scale nan"]),
    "round_half_away, scale inf": (lambda m, g: _scale(g.tensors[12], np.inf), ["tensor 12", "scale inf"]),
    "round_half_away, scale huge": (lambda m, g: _scale(g.tensors[12], 3e38), ["tensor 12", "scale 3e+38"]),
    "round_half_away, scales too far apart":
        (lambda m, g: _scale(g.tensors[19], 1e-29), ["op 7 (FULLY_CONNECTED", "beyond TFLM's fixed-point range"]),
    "requant, zero point out of range":
        (lambda m, g: _set(g.tensors[15].quantization, zeroPoint=np.array([128])), ["tensor 15", "zero point 128"]),
    "accumulator_range, zero point beyond int32":
        (lambda m, g: _set(g.tensors[12].quantization, zeroPoint=np.array([1 << 40])), ["tensor 12", "zero point"]),
    "accumulator_range, a bias short of the channels":
        (_shorter_bias, ["op 0 (CONV_2D", "has 7 values; the op has 8 channels"]),
    "requant, per-channel scales short of the channels":
        (_fewer_channel_scales, ["op 0 (CONV_2D", "7 per-channel scales for 8 channels"]),
    "conv output shape, missing weights":
        (lambda m, g: _set(g.operators[0], inputs=[0, -1, 10]), ["op 0 (CONV_2D", "lacks its input 1"]),
    "pool output shape, missing input":
        (lambda m, g: _set(g.operators[4], inputs=[-1]), ["op 4 (MAX_POOL_2D", "lacks its input 0"]),
    "fully_connected output shape, missing weights":
        (lambda m, g: _set(g.operators[7], inputs=[18, -1, 2]), ["op 7 (FULLY_CONNECTED", "lacks its input 1"]),
    "conv output size, stride 0 (ZeroDivisionError)":
        (lambda m, g: _set(g.operators[0].builtinOptions, strideW=0), ["op 0 (CONV_2D", "option stride_w is 0"]),
    "conv lowering, CONV_2D weights of rank 2":
        (lambda m, g: _set(g.tensors[11], shape=[8, 27]), ["op 0 (CONV_2D", "has rank 2; it must be 4"]),
    "conv lowering, DEPTHWISE_CONV_2D weights of rank 2":
        (lambda m, g: _set(g.tensors[9], shape=[9, 8]), ["op 1 (DEPTHWISE_CONV_2D", "has rank 2; it must be 4"]),
    "subgraph input -1": (lambda m, g: _set(g, inputs=[-1]), ["input 0 is no tensor"]),
    "subgraph output -1": (lambda m, g: _set(g, outputs=[-1]), ["output 0 is no tensor"]),
    "subgraph input past the tensors": (lambda m, g: _set(g, inputs=[999]), ["tensor index 999 out of range"]),
    "subgraph output past the tensors": (lambda m, g: _set(g, outputs=[21]), ["tensor index 21 out of range"]),
}


@pytest.mark.parametrize("traceback", TRACEBACKS)
def test_malformed_model_is_one_line(tmp_path, traceback):
    edit, words = TRACEBACKS[traceback]
    bad = edited(tmp_path, edit)
    assert_one_line_error(run_cli("generate", bad, "-o", tmp_path / "out"), "bad.tflite", *words)
    inspected = run_cli("inspect", "--json", bad)
    if inspected.stderr:
        assert_one_line_error(inspected, "bad.tflite", *words)
    else:  # well-formed, but an op tinygen cannot lower: inspect lists it with the reason
        assert inspected.returncode == 2 and '"supported": false' in inspected.stdout
        assert all(word in inspected.stdout for word in words[1:]), inspected.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.tflite"], "nothing may be left behind"


@pytest.mark.parametrize("command", ["validate", "run", "profile"])
def test_negative_seed_is_a_usage_error(command):
    result = run_cli(command, EXAMPLE, "--seed", "-1", "--board", "qemu_mps2_an500")
    assert_one_line_error(result, "--seed", "-1")


@pytest.mark.parametrize("where", ["/proc/tinygen-out", "FILE/out", "FILE/deeper/out"])
def test_unwritable_output_directory(tmp_path, where):
    (tmp_path / "FILE").write_text("a file, not a directory")
    result = run_cli("generate", EXAMPLE, "-o", where, cwd=tmp_path)
    assert_one_line_error(result, where, "cannot write there")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["FILE"]


def test_unwritable_plot(tmp_path):
    (tmp_path / "FILE").write_text("a file, not a directory")
    assert_one_line_error(run_cli("simulate", EXAMPLE, "--plot", "FILE/memory.png", cwd=tmp_path),
                          "FILE/memory.png", "FILE is not a directory")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["FILE"]


def test_failure_while_writing_leaves_no_directories(tmp_path):
    """The PlatformIO project reads its sample input inside the staging directory: a bad one fails
    there, and neither the staging directory nor the parents made for it stay."""
    wrong = tmp_path / "wrong.npy"
    np.save(wrong, np.zeros((2, 2), np.int8))
    result = run_cli("generate", EXAMPLE, "--board", "nucleo_f411re", "--input", wrong,
                     "-o", tmp_path / "new" / "deep" / "p")
    assert_one_line_error(result, "wrong.npy")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["wrong.npy"]


def test_replacing_a_directory_keeps_it_until_the_new_one_is_complete(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "mine.txt").write_text("kept")
    bad = edited(tmp_path, lambda m, g: _scale(g.tensors[12], np.nan))
    assert_one_line_error(run_cli("generate", bad, "-o", out, "--force"), "scale nan")
    assert (out / "mine.txt").read_text() == "kept"
    assert run_cli("generate", EXAMPLE, "-o", out, "--force").returncode == 0
    assert not (out / "mine.txt").exists() and (out / "model.c").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.tflite", "out"]


def test_unwritable_contact_sheet_and_search_directory(tmp_path):
    from tinygen.demo.sheet import contact_sheet
    from tinygen.errors import TinygenError
    from tinygen.staging import writable_directory

    (tmp_path / "FILE").write_text("a file, not a directory")
    results = [{"file": "missing.jpg", "person": True, "score": 0.9, "truth": None}]
    with pytest.raises(TinygenError, match=r"FILE/sheet\.png: cannot write there \(.*FILE is not a directory\)"):
        contact_sheet(results, tmp_path, tmp_path / "FILE" / "sheet.png", "photos")
    with pytest.raises(TinygenError, match=r"FILE/search: cannot write there \(.*FILE is not a directory\)"):
        writable_directory(tmp_path / "FILE" / "search")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["FILE"]


def test_internal_error_is_one_line_exit_3(monkeypatch, capsys):
    """A bug (a planted one) reaches the user as one line naming where in tinygen it surfaced and
    asking for a report; --debug lets the traceback through."""
    import tinygen.inspect
    from tinygen.cli import main

    def planted(path):
        raise KeyError("no such layer")

    monkeypatch.setattr(tinygen.inspect, "inspect_model", planted)
    monkeypatch.setattr(sys, "argv", ["tinygen", "inspect", str(EXAMPLE)])
    with pytest.raises(SystemExit) as exited:
        main()
    assert exited.value.code == 3
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1, lines
    assert re.fullmatch(r"tinygen: internal error: KeyError at tinygen/cli/model\.py:\d+ in inspect: "
                        r"'no such layer'; please report it with the model and command", lines[0]), lines[0]
    monkeypatch.setattr(sys, "argv", ["tinygen", "--debug", "inspect", str(EXAMPLE)])
    with pytest.raises(KeyError):
        main()


def test_names_are_escaped_in_the_generated_c(tmp_path):
    """A model file's name and tensor names reach C strings and comments: quotes, backslashes,
    comment ends and trigraphs in them must not break the build."""
    from tinygen.codegen import c_comment, c_string

    assert c_string('a"b\\c??/') == "a\\042b\\134c\\077\\077/"
    assert c_comment("x */ y ??/ z\\\nw") == "x * / y ? ?/ z/ w"
    model = tmp_path / 'odd"*name??\\.tflite'
    model.write_bytes(EXAMPLE.read_bytes())
    out = tmp_path / "out"
    assert run_cli("generate", model, "-o", out).returncode == 0
    assert "odd\"*name? ?/." in (out / "model.c").read_text().splitlines()[0]
    assert subprocess.run(["make", "-s", "-C", str(out)], capture_output=True).returncode == 0


def test_every_option_table_has_its_union_type():
    """The reader takes an op's options only from a table of the op's own type (as TFLM does):
    every op definition with options needs that type."""
    from tinygen.frontend.schema import BUILTIN_OPTIONS
    from tinygen.ops import definition, supported_ops

    with_options = {kind for kind in supported_ops() if definition(kind).options}
    assert with_options == set(BUILTIN_OPTIONS)


def test_options_of_another_type_count_as_absent(tmp_path):
    """Op 0's Conv2DOptions tagged as Pool2DOptions: TFLM ignores them, so its strides are 0."""
    bad = edited(tmp_path, lambda m, g: _set(g.operators[0], builtinOptionsType=5))
    assert_one_line_error(run_cli("generate", bad, "-o", tmp_path / "out"), "op 0 (CONV_2D", "option stride_w is 0")


def test_a_bias_of_rank_2_is_read_as_its_values(tmp_path):
    """Op 5's bias stored as 1x16 (the fuzz campaign's internal error in the builtin kernels'
    requantization): TFLM reads a bias as flat data, and so does tinygen, bit-exact."""
    model = edited(tmp_path, lambda m, g: _set(g.tensors[4], shape=[1, 16]))
    result = run_cli("validate", model, "--samples", "2")
    assert result.returncode == 0, result.stderr
    assert "bit-exact with TFLite Micro" in result.stdout
