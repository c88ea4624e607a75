from hypothesis import given
from hypothesis import strategies as st
from tinygen.ops.mirror_pad import mirror_source
import numpy as np
from helpers import FEW, RANGES, check_ops, keras_model, lambda_layer, tf


@st.composite
def mirror_configs(draw):
    shape = tuple(draw(st.integers(2, 4)) for _ in range(draw(st.integers(1, 3))))
    pads = [[0, 0]] + [[draw(st.integers(0, d - 1)), draw(st.integers(0, d - 1))] for d in shape]
    return dict(shape=shape, pads=pads, range=draw(RANGES))


@FEW
@given(mirror_configs())
def test_mirror_pad(tmp_path_factory, c):
    pad = tf().pad
    # SYMMETRIC allows one more than REFLECT on each side.
    wider = [[a, b + (i > 0)] for i, (a, b) in enumerate(c["pads"])]
    model = keras_model(lambda x: [lambda_layer(lambda v: pad(v, c["pads"], mode="REFLECT"))(x),
                                   lambda_layer(lambda v: pad(v, wider, mode="SYMMETRIC"))(x)],
                        [c["shape"]])
    low, high = c["range"]
    check_ops(model, tmp_path_factory.mktemp("mirror") / "m.tflite", "MIRROR_PAD", low=low, high=high)


def test_mirror_source_matches_numpy():
    for size in range(1, 5):
        for mode, limit in (("reflect", size - 1), ("symmetric", size)):
            for before in range(limit + 1):
                for after in range(limit + 1):
                    padded = np.pad(np.arange(size), (before, after), mode=mode)
                    got = [mirror_source(i, before, size, mode == "reflect") for i in range(len(padded))]
                    assert got == padded.tolist(), (mode, size, before, after)
