"""TFLite Micro's int16 SEANet integration-test models (16x8: int16 activations, int8 weights,
int64 bias) compile with the default options and match TFLite Micro bit for bit on the host."""
import pytest

from helpers import SEANET_OPS, seanet_models_or_skip
from tinygen.compiler import compile_model
from tinygen.validate import validate


@pytest.mark.parametrize("op", SEANET_OPS)
def test_seanet_models_are_bit_exact(op):
    for model in seanet_models_or_skip(op):
        program = compile_model(model)
        assert any(t.dtype == "int16" for t in program.graph.inputs + program.graph.outputs), model
        report = validate(model, program, samples=3)
        assert report.max_abs_diff == 0, (model.name, report)
        assert program.patch is None, "int16 layers run layer by layer"
