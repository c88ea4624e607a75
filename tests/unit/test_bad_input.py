"""Bad input gets one line naming the problem, exit code 2, and no partial output."""
import struct
from pathlib import Path

import numpy as np
import pytest

from helpers import Spec, assert_one_line_error, run_cli, shared_or_skip, single_op_model
from tinygen.frontend import schema
from tinygen.frontend.flatbuffer import root_table


def patched(model: Path, out: Path, edit) -> Path:
    """A copy of model with bytes changed by edit(bytearray, root table)."""
    data = bytearray(model.read_bytes())
    edit(data, root_table(bytes(data)))
    out.write_bytes(bytes(data))
    return out


def test_not_a_flatbuffer(tmp_path):
    bad = tmp_path / "notes.tflite"
    bad.write_text("this is a text file, not a model\n")
    assert_one_line_error(run_cli("generate", bad, "-o", tmp_path / "out"), "notes.tflite", "not a valid TFLite model")
    assert not (tmp_path / "out").exists()


def test_missing_file(tmp_path):
    assert_one_line_error(run_cli("inspect", tmp_path / "nope.tflite"), "nope.tflite", "cannot read")


@pytest.mark.parametrize("keep", [0.5, 0.1])
def test_truncated_model(tmp_path, keep):
    model = shared_or_skip("models/mlperf_kws_dscnn_int8.tflite")
    data = model.read_bytes()
    cut = tmp_path / "cut.tflite"
    cut.write_bytes(data[: int(len(data) * keep)])
    assert_one_line_error(run_cli("generate", cut, "-o", tmp_path / "out"), "cut.tflite")
    assert not (tmp_path / "out").exists()


def _set_first_opcode(data: bytearray, root, builtin: int) -> None:
    code = root.tables(schema.MODEL_OPERATOR_CODES)[0]
    struct.pack_into("<i", data, code._field_pos(schema.OPCODE_BUILTIN), builtin)
    deprecated = code._field_pos(schema.OPCODE_DEPRECATED_BUILTIN)
    if deprecated is not None:
        struct.pack_into("<b", data, deprecated, min(builtin, 127))


def test_unsupported_op(tmp_path):
    model = shared_or_skip("models/tflm_hello_world_int8.tflite")
    cumsum = schema.BUILTIN_OPS.index("CUMSUM")
    bad = patched(model, tmp_path / "cumsum.tflite", lambda d, r: _set_first_opcode(d, r, cumsum))
    result = run_cli("generate", bad, "-o", tmp_path / "out")
    assert_one_line_error(result, "cumsum.tflite", "unsupported op CUMSUM", "op 0")
    assert not (tmp_path / "out").exists()
    assert list(tmp_path.iterdir()) == [bad], "no staging directory may be left behind"
    inspected = run_cli("inspect", bad)
    assert inspected.returncode == 2 and "CUMSUM" in inspected.stdout


def _make_batch_dim_dynamic(data: bytearray, root, dim: int) -> None:
    tensor = root.tables(schema.MODEL_SUBGRAPHS)[0].tables(schema.SUBGRAPH_TENSORS)[0]
    pos = tensor._indirect(schema.TENSOR_SHAPE_SIGNATURE)
    assert pos is not None, "the test model carries a shape signature"
    struct.pack_into("<i", data, pos + 4 + 4 * dim, -1)


def test_dynamic_shape(tmp_path):
    model = shared_or_skip("models/mlperf_ad_autoencoder_int8.tflite")
    bad = patched(model, tmp_path / "dynamic.tflite", lambda d, r: _make_batch_dim_dynamic(d, r, 1))
    assert_one_line_error(run_cli("generate", bad, "-o", tmp_path / "out"), "dynamic.tflite", "dynamic shape", "(-1, -1)")
    assert not (tmp_path / "out").exists()


def test_float_model(tmp_path):
    weights = Spec((4, 8), "float32", data=np.ones((4, 8), np.float32))
    path = single_op_model(tmp_path / "float.tflite", "FULLY_CONNECTED", [Spec((1, 8), "float32"), weights],
                           Spec((1, 4), "float32"))
    assert_one_line_error(run_cli("generate", path, "-o", tmp_path / "out"), "float.tflite", "float model", "int8")
    assert not (tmp_path / "out").exists()


def test_existing_output_directory_needs_force(tmp_path):
    model = shared_or_skip("models/tflm_hello_world_int8.tflite")
    out = tmp_path / "out"
    out.mkdir()
    (out / "mine.txt").write_text("user data")
    assert_one_line_error(run_cli("generate", model, "-o", out), "exists", "--force")
    assert (out / "mine.txt").read_text() == "user data"
    result = run_cli("generate", model, "-o", out, "--force")
    assert result.returncode == 0, result.stderr
    assert not (out / "mine.txt").exists() and (out / "model.c").exists()


def test_bad_input_file_for_validate(tmp_path):
    model = shared_or_skip("models/tflm_hello_world_int8.tflite")
    wrong = tmp_path / "wrong.npy"
    np.save(wrong, np.zeros((3, 3), np.int8))
    assert_one_line_error(run_cli("validate", model, "--input", wrong), "wrong.npy", "shape")


@pytest.mark.parametrize("kind", ["ADD", "MUL", "SQUARED_DIFFERENCE", "PRELU"])
def test_per_channel_operand_of_an_elementwise_op_is_named(kind):
    from tinygen.errors import TinygenError
    from tinygen.ir import Op, Quant, Tensor
    from tinygen.ops import lower

    def tensor(name, channels=1):
        return Tensor(name, (1, 2, 2, 3), "int8",
                      Quant(np.full(channels, 0.05, np.float32), np.zeros(channels, np.int64), axis=3))

    op = Op(kind, [tensor("a"), tensor("b", channels=3)], [tensor("out")], index=4)
    with pytest.raises(TinygenError, match=r"'b'.* quantized per channel; this op needs one scale"):
        lower(op)


@pytest.mark.parametrize("args, words", [
    (("--preprocess", "range=0,1"), ("--preprocess", "image inputs")),
    (("--cmsis-nn", "/nowhere"), ("--cmsis-nn", "--kernels cmsis-nn")),
    (("--patch", "off", "--max-mac-overhead", "0.3"), ("--max-mac-overhead", "--patch auto")),
])
def test_options_that_do_not_apply_are_refused(tmp_path, args, words):
    model = shared_or_skip("models/tflm_hello_world_int8.tflite")
    assert_one_line_error(run_cli("validate", model, *args), *words)
    assert_one_line_error(run_cli("generate", model, "-o", tmp_path / "out", *args), *words)
    assert not (tmp_path / "out").exists()
