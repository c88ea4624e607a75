from hypothesis import given
from hypothesis import strategies as st
from helpers import SOME, check_ops, keras_model, lambda_layer, layers, tf


def _reorders_real_axes(perm) -> bool:
    """The converter turns a transpose that only moves the size-1 batch axis into a reshape."""
    moved = [p for p in perm if p != 0]
    return moved != sorted(moved)


@SOME
@given(st.integers(3, 5).flatmap(lambda rank: st.tuples(
    st.lists(st.integers(2, 5), min_size=rank - 1, max_size=rank - 1),
    st.permutations(range(rank)).filter(_reorders_real_axes))))
def test_transpose(tmp_path_factory, shape_perm):
    shape, perm = shape_perm
    transpose = tf().transpose
    model = keras_model(lambda x: lambda_layer(lambda t: transpose(t, perm))(x), [tuple(shape)])
    check_ops(model, tmp_path_factory.mktemp("transpose") / "m.tflite", "TRANSPOSE")


def test_permute_layer(tmp_path):
    L = layers()
    model = keras_model(lambda x: [L.Permute((3, 1, 2))(x), L.Permute((2, 1))(L.Reshape((12, 5))(x))], [(3, 4, 5)])
    check_ops(model, tmp_path / "m.tflite", "TRANSPOSE")
