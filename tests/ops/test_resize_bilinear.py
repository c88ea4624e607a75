from hypothesis import given
from hypothesis import strategies as st
from tinygen.ops.resize_bilinear import interpolation_table
from helpers import FEW, RANGES, check_ops, keras_model, lambda_layer, tf


@FEW
@given(st.integers(1, 6), st.integers(1, 6), st.integers(1, 13), st.integers(1, 13), RANGES)
def test_resize_bilinear_all_modes(tmp_path_factory, h, w, out_h, out_w, value_range):
    resize = tf().compat.v1.image.resize_bilinear
    size = [out_h, out_w]
    model = keras_model(lambda x: [lambda_layer(lambda v: resize(v, size, align_corners=False, half_pixel_centers=False))(x),
                                   lambda_layer(lambda v: resize(v, size, align_corners=True))(x),
                                   lambda_layer(lambda v: resize(v, size, half_pixel_centers=True))(x)],
                        [(h, w, 3)])
    low, high = value_range
    check_ops(model, tmp_path_factory.mktemp("bilinear") / "m.tflite", "RESIZE_BILINEAR", low=low, high=high)


def test_keras_bilinear_upsampling(tmp_path):
    L = tf().keras.layers
    model = keras_model(lambda x: [L.UpSampling2D((2, 3), interpolation="bilinear")(x),
                                   L.Resizing(4, 9, interpolation="bilinear")(x)],
                        [(5, 7, 4)])
    check_ops(model, tmp_path / "m.tflite", "RESIZE_BILINEAR", low=-4.0, high=1.0)


def test_bilinear_table_runs_past_the_input_for_large_ratios():
    # TFLM's rounded 1/1024 step times 74 lands on row 1 of a 1-row input; the lowering refuses it.
    assert interpolation_table(1, 75, False, False)[74, 0] == 1
    assert interpolation_table(4, 9, False, True)[:, 0].max() <= 3
