"""Every real model in ../shared/models, generated with the builtin kernels and patch-based
inference where it pays (the defaults), built on the host with clang's AddressSanitizer and
UndefinedBehaviorSanitizer (tinygen.toolchain's flags: the first report aborts the run), runs
clean and still bit-exact with TFLite Micro."""
import pytest

from helpers import SHARED_MODELS, assert_exact, compiled, shared_or_skip

MODEL_NAMES = [p.stem for p in SHARED_MODELS] or ["(../shared/models absent)"]


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_shared_model_runs_clean_under_the_sanitizers(name):
    model = shared_or_skip(f"models/{name}.tflite")
    program = compiled(model)
    assert any(call.function.startswith("opt_") for _, call in program.calls), "built with the builtin kernels"
    assert_exact(model, program, samples=3, sanitize=True)
