from tinygen.errors import TinygenError
from tinygen.ir import Op, Quant, Tensor
from tinygen.ops import lower
import numpy as np
import pytest


def _t(name, shape, dtype="int8", data=None):
    quant = Quant(np.array([0.1], np.float32), np.array([0])) if dtype == "int8" else None
    return Tensor(name, tuple(shape), dtype, quant, None if data is None else np.asarray(data, dtype))


def _axis(value):
    return _t("axis", (), "int32", value)


@pytest.mark.parametrize("op, message", [
    (Op("ARG_MAX", [_t("x", (2, 3)), _axis(1)], [_t("y", (2,), "int64")]), "int32 indices only"),
    (Op("ARG_MIN", [_t("x", (2, 3)), _t("a", (), "int32")], [_t("y", (2,), "int32")]), "constant int32"),
    (Op("GATHER", [_t("x", (4, 3)), _t("i", (2,), "int32")], [_t("y", (2, 3))], {"axis": 0, "batch_dims": 0}),
     "constant int32"),
    (Op("GATHER", [_t("x", (4, 3)), _t("i", (2,), "int32", [1, 4])], [_t("y", (2, 3))],
        {"axis": 0, "batch_dims": 0}), "outside 0..3"),
    (Op("GATHER", [_t("x", (2, 3)), _t("i", (2, 1), "int32", [[1], [0]])], [_t("y", (2, 1))],
        {"axis": 1, "batch_dims": 1}), "batch_dims 1"),
    (Op("GATHER", [_t("x", (4, 3), "int16"), _t("i", (1,), "int32", [1])], [_t("y", (1, 3), "int16")],
        {"axis": 0, "batch_dims": 0}), "supported here: int8, float32"),
    (Op("MIRROR_PAD", [_t("x", (1, 3)), _t("p", (2, 2), "int32", [[0, 0], [3, 0]])], [_t("y", (1, 6))],
        {"mode": "REFLECT"}), "REFLECT paddings"),
    (Op("RESIZE_BILINEAR", [_t("x", (1, 2, 2, 1)), _t("s", (2,), "int32", [4, 4])], [_t("y", (1, 4, 4, 1))],
        {"align_corners": True, "half_pixel_centers": True}), "refused by TFLM"),
    (Op("RESIZE_BILINEAR", [_t("x", (1, 1, 1, 1)), _t("s", (2,), "int32", [75, 1])], [_t("y", (1, 75, 1, 1))],
        {"align_corners": False, "half_pixel_centers": False}), "out of bounds"),
    (Op("SPLIT", [_axis(0), _t("x", (33,))], [_t(f"y{i}", (1,)) for i in range(33)]), "1 to 32"),
    (Op("SPLIT", [_axis(0), _t("x", (4,))], [_t("y0", (1,)), _t("y1", (3,))]), "must be equal"),
    (Op("PACK", [_t(f"x{i}", (2,)) for i in range(11)], [_t("y", (11, 2))], {"values_count": 11, "axis": 0}),
     "1 to 10"),
    (Op("PACK", [_t("x0", (2,), "int32"), _t("x1", (2,), "int32")], [_t("y", (2, 2), "int32")],
        {"values_count": 2, "axis": 0}), "supported here: int8, int16$"),
    (Op("SLICE", [_t("x", (4, 3)), _t("b", (2,), "int32", [2, 0]), _t("s", (2,), "int32", [3, -1])],
        [_t("y", (3, 3))]), "fall outside"),
    (Op("SPACE_TO_BATCH_ND", [_t("x", (1, 3, 3, 1)), _t("b", (2,), "int32", [2, 2]),
                              _t("p", (2, 2), "int32", [[0, 0], [0, 0]])], [_t("y", (4, 1, 1, 1))]), "does not fit"),
    (Op("DEPTH_TO_SPACE", [_t("x", (1, 2, 2, 6))], [_t("y", (1, 4, 4, 1))], {"block_size": 2}), "block_size 2"),
])
def test_refusals(op, message):
    with pytest.raises(TinygenError, match=message):
        lower(op)
