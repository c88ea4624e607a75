from hypothesis import given
from hypothesis import strategies as st
import numpy as np
from helpers import FEW, RANGES, check_ops, keras_model, lambda_layer, tf


@st.composite
def gather_configs(draw):
    shape = tuple(draw(st.integers(1, 5)) for _ in range(draw(st.integers(1, 3))))
    axis = draw(st.integers(1, len(shape)))
    size = shape[axis - 1]
    index_shape = draw(st.sampled_from([(), (3,), (2, 2)]))
    indices = np.array(draw(st.lists(st.integers(0, size - 1), min_size=4, max_size=4)), np.int32)
    return dict(shape=shape, axis=axis - draw(st.sampled_from([0, len(shape) + 1])),
                indices=indices[:int(np.prod(index_shape))].reshape(index_shape).tolist(), range=draw(RANGES))


@FEW
@given(gather_configs())
def test_gather(tmp_path_factory, c):
    t = tf()
    model = keras_model(lambda x: [lambda_layer(lambda v: t.gather(v, c["indices"], axis=c["axis"]))(x),
                                   lambda_layer(lambda v: t.gather(v, [0, 0], axis=0))(x)],
                        [c["shape"]])
    low, high = c["range"]
    check_ops(model, tmp_path_factory.mktemp("gather") / "m.tflite", "GATHER", low=low, high=high)
