from __future__ import annotations
from tinygen.compiler import compile_model
from tinygen.errors import TinygenError
from tinygen.options import REFERENCE
import numpy as np
import pytest
from helpers import Spec, single_op_model


def test_reduce_max_rejects_requantization(tmp_path):
    x, out = Spec((4, 5), "int8", 0.1, 0), Spec((4,), "int8", 0.2, 0)
    path = single_op_model(tmp_path / "m.tflite", "REDUCE_MAX", [x, np.array([1], np.int32)], out)
    with pytest.raises(TinygenError, match="quantization differ"):
        compile_model(path, REFERENCE)
