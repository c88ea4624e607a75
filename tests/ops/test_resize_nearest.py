from tinygen.ops.resize_nearest import nearest_indices
from helpers import check_ops, keras_model, lambda_layer, tf


# With a 14x8 input, 14 -> 23 (align_corners) and 8 -> 47 (half_pixel_centers) hit a position that
# is exactly .5 or an integer in exact arithmetic, where float32 rounding picks the other pixel.
SIZES = [(1, 1), (2, 3), (9, 4), (23, 47), (46, 41), (45, 55), (5, 13)]


def test_resize_nearest_modes(tmp_path):
    """Every (align_corners, half_pixel_centers) combination TF produces, up and down, odd ratios."""
    image, v1 = tf().image, tf().compat.v1.image

    def outputs(x):
        results = []
        for size in SIZES:
            results.append(lambda_layer(lambda t, s=size: image.resize(t, s, method="nearest"))(x))
            for corners, half in [(True, False), (False, False), (False, True)]:
                results.append(lambda_layer(lambda t, s=size, a=corners, h=half: v1.resize_nearest_neighbor(
                    t, s, align_corners=a, half_pixel_centers=h))(x))
        return results

    report = check_ops(keras_model(outputs, [(14, 8, 2)]), tmp_path / "m.tflite", "RESIZE_NEAREST_NEIGHBOR")
    assert len(report.outputs) == 4 * len(SIZES)


def test_nearest_indices_follow_float32():
    # 13/22 * 11 is 6.5 exactly, which would round to 7; in float32 it is just below 6.5.
    assert nearest_indices(14, 23, True, False)[11] == 6
    assert nearest_indices(5, 9, True, False).tolist() == [0, 1, 1, 2, 2, 3, 3, 4, 4]
    assert nearest_indices(5, 1, True, False).tolist() == [0]
