from hypothesis import given
from hypothesis import strategies as st
from helpers import FEW, RANGES, check_ops, keras_model, lambda_layer, tf


@st.composite
def space_batch_configs(draw):
    block = [draw(st.integers(2, 3)), draw(st.integers(2, 3))]  # the converter rewrites blocks of 1
    h, w = draw(st.integers(2, 3)), draw(st.integers(2, 3))  # more than the crops take
    # One input, seen as an image of height bh * bw * h for SPACE_TO_BATCH_ND and as bh * bw
    # images of h x w for BATCH_TO_SPACE_ND.
    pads = []
    for b, size in zip(block, (block[0] * block[1] * h, w)):
        before = draw(st.integers(0, 2))
        pads.append([before, -(size + before) % b + b * draw(st.integers(0, 1))])
    crops = [[draw(st.integers(0, b - 1)), draw(st.integers(0, b - 1))] for b in block]
    return dict(block=block, h=h, w=w, c=draw(st.integers(1, 3)), pads=pads, crops=crops, range=draw(RANGES))


@FEW
@given(st.integers(2, 3), st.integers(1, 3), st.integers(1, 3), st.integers(1, 3), RANGES)
def test_depth_to_space_and_back(tmp_path_factory, block, h, w, c, value_range):
    nn = tf().nn
    # Divisible both ways: H and W by the block for SPACE_TO_DEPTH, depth by its square for DEPTH_TO_SPACE.
    model = keras_model(lambda x: [lambda_layer(lambda v: nn.depth_to_space(v, block))(x),
                                   lambda_layer(lambda v: nn.space_to_depth(v, block))(x)],
                        [(h * block, w * block, c * block * block)])
    low, high = value_range
    check_ops(model, tmp_path_factory.mktemp("d2s") / "m.tflite", "DEPTH_TO_SPACE", "SPACE_TO_DEPTH",
          low=low, high=high)


@FEW
@given(space_batch_configs())
def test_space_to_batch_and_batch_to_space(tmp_path_factory, c):
    t = tf()
    (bh, bw), h, w = c["block"], c["h"], c["w"]

    def to_space(v):
        return t.batch_to_space(t.reshape(v, (bh * bw, h, w, c["c"])), c["block"], c["crops"])
    model = keras_model(lambda x: [lambda_layer(lambda v: t.space_to_batch_nd(v, c["block"], c["pads"]))(x), lambda_layer(to_space)(x)],
                        [(bh * bw * h, w, c["c"])])
    low, high = c["range"]
    check_ops(model, tmp_path_factory.mktemp("s2b") / "m.tflite", "SPACE_TO_BATCH_ND", "BATCH_TO_SPACE_ND",
          low=low, high=high)


def test_space_batch_on_3d_tensors(tmp_path):
    """NHC tensors, which TFLM runs as NHWC of width 1; padding with a zero point of -128."""
    t = tf()
    model = keras_model(lambda x: [lambda_layer(lambda v: t.space_to_batch_nd(v, [3], [[2, 0]]))(x),
                                   lambda_layer(lambda v: t.batch_to_space(t.reshape(v, (2, 5, 3)), [2], [[1, 2]]))(x)],
                        [(10, 3)])
    check_ops(model, tmp_path / "m.tflite", "SPACE_TO_BATCH_ND", "BATCH_TO_SPACE_ND", low=0.0, high=2.0)
