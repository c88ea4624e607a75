from hypothesis import given
from hypothesis import strategies as st
from helpers import FEW, check_ops, keras_model, lambda_layer, tf


@FEW
@given(st.lists(st.integers(1, 6), min_size=1, max_size=3), st.data())
def test_arg_max_and_min(tmp_path_factory, shape, data):
    t = tf()
    axis = data.draw(st.integers(1, len(shape)))
    axis -= data.draw(st.sampled_from([0, len(shape) + 1]))
    # After a ReLU many values are the zero point, so ties are frequent for ARG_MIN.
    model = keras_model(lambda x: [lambda_layer(lambda v: t.argmax(v, axis=axis, output_type=t.int32))(x),
                                   lambda_layer(lambda v: t.argmin(t.nn.relu(v), axis=axis, output_type=t.int32))(x)],
                        [tuple(shape)])
    check_ops(model, tmp_path_factory.mktemp("arg") / "m.tflite", "ARG_MAX", "ARG_MIN")
