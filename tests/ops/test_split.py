from hypothesis import given
from hypothesis import strategies as st
from helpers import FEW, RANGES, check_ops, keras_model, lambda_layer, tf


@st.composite
def split_configs(draw):
    shape = [draw(st.integers(1, 5)) for _ in range(draw(st.integers(1, 3)))]
    axis = draw(st.integers(1, len(shape)))  # of the batched shape
    parts = draw(st.integers(2, 3))
    shape[axis - 1] = parts * draw(st.integers(1, 2))
    cuts = sorted(draw(st.lists(st.integers(1, shape[axis - 1] - 1), min_size=1, max_size=2, unique=True)))
    sizes = [b - a for a, b in zip([0] + cuts, cuts + [shape[axis - 1]])]
    return dict(shape=tuple(shape), axis=axis - draw(st.sampled_from([0, len(shape) + 1])), parts=parts,
                sizes=sizes, unpack_axis=draw(st.integers(0, len(shape))), range=draw(RANGES))


@FEW
@given(split_configs())
def test_split_split_v_unpack(tmp_path_factory, c):
    t = tf()

    def build(x):
        return (t.split(x, c["parts"], axis=c["axis"]) + t.split(x, c["sizes"], axis=c["axis"])
                + t.unstack(x, axis=c["unpack_axis"]))
    model = keras_model(lambda x: lambda_layer(build)(x), [c["shape"]])
    low, high = c["range"]
    check_ops(model, tmp_path_factory.mktemp("split") / "m.tflite", "SPLIT", "UNPACK", low=low, high=high)


def test_split_v_with_inferred_size_and_one_output(tmp_path):
    t = tf()
    model = keras_model(lambda x: lambda_layer(lambda v: t.split(v, [2, -1, 3], axis=2) + t.split(v, 1, axis=3))(x),
                        [(3, 7, 4)])
    check_ops(model, tmp_path / "m.tflite", "SPLIT_V")
