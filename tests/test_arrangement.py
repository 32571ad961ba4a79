"""Rearranging and gathering functions: values and dtypes against NumPy, gathers' gradients
by hand, and the errors."""

import numpy as np
import pytest

import symgrad as sg

A = np.arange(12).reshape(3, 4)

FUNCTIONS = {
    "flip": (lambda x: sg.flip(x), lambda a: np.flip(a)),
    "flip_axis": (lambda x: sg.flip(x, 1), lambda a: np.flip(a, 1)),
    "fliplr": (sg.fliplr, np.fliplr),
    "flipud": (sg.flipud, np.flipud),
    "rot90": (sg.rot90, np.rot90),
    "rot90_k2": (lambda x: sg.rot90(x, 2), lambda a: np.rot90(a, 2)),
    "rot90_k3": (lambda x: sg.rot90(x, -1), lambda a: np.rot90(a, -1)),
    "roll": (lambda x: sg.roll(x, 5), lambda a: np.roll(a, 5)),
    "roll_axes": (lambda x: sg.roll(x, (1, -3), (0, 1)), lambda a: np.roll(a, (1, -3), (0, 1))),
    "tile": (lambda x: sg.tile(x, (2, 1, 2)), lambda a: np.tile(a, (2, 1, 2))),
    "tile_int": (lambda x: sg.tile(x, 2), lambda a: np.tile(a, 2)),
    "repeat": (lambda x: sg.repeat(x, 2, axis=1), lambda a: np.repeat(a, 2, axis=1)),
    "repeat_flat": (lambda x: sg.repeat(x, 3), lambda a: np.repeat(a, 3)),
    "repeat_counts": (lambda x: x.repeat([1, 0, 2], axis=0), lambda a: a.repeat([1, 0, 2], 0)),
    "tril": (lambda x: sg.tril(x, 1), lambda a: np.tril(a, 1)),
    "triu": (lambda x: sg.triu(x, -1), lambda a: np.triu(a, -1)),
    "split": (lambda x: sg.split(x, 2, axis=1)[1], lambda a: np.split(a, 2, axis=1)[1]),
    "split_at": (lambda x: sg.split(x, [1, 3], axis=1)[2], lambda a: np.split(a, [1, 3], 1)[2]),
    "array_split": (lambda x: sg.array_split(x, 3, 1)[2], lambda a: np.array_split(a, 3, 1)[2]),
    "vstack": (lambda x: sg.vstack([x, x[0]]), lambda a: np.vstack([a, a[0]])),
    "hstack": (lambda x: sg.hstack([x, x[:, :1]]), lambda a: np.hstack([a, a[:, :1]])),
    "hstack_1d": (lambda x: sg.hstack([x[0], x[1]]), lambda a: np.hstack([a[0], a[1]])),
    "dstack": (lambda x: sg.dstack([x, x]), lambda a: np.dstack([a, a])),
    "column_stack": (
        lambda x: sg.column_stack([x[0], x.T]),
        lambda a: np.column_stack([a[0], a.T]),
    ),
    "append": (lambda x: sg.append(x, x[0]), lambda a: np.append(a, a[0])),
    "append_axis": (lambda x: sg.append(x, x[:1], axis=0), lambda a: np.append(a, a[:1], 0)),
    "pad": (lambda x: sg.pad(x, 1), lambda a: np.pad(a, 1)),
    "pad_values": (
        lambda x: sg.pad(x, ((1, 0), (2, 1)), constant_values=7),
        lambda a: np.pad(a, ((1, 0), (2, 1)), constant_values=7),
    ),
    "pad_edge": (lambda x: sg.pad(x, 2, mode="edge"), lambda a: np.pad(a, 2, mode="edge")),
    "pad_reflect": (
        lambda x: sg.pad(x, ((1, 2), (2, 3)), mode="reflect"),
        lambda a: np.pad(a, ((1, 2), (2, 3)), mode="reflect"),
    ),
    "moveaxis": (lambda x: sg.moveaxis(x, 0, 1), lambda a: np.moveaxis(a, 0, 1)),
    "atleast_1d": (lambda x: sg.atleast_1d(x[0, 0]), lambda a: np.atleast_1d(a[0, 0])),
    "atleast_2d": (lambda x: sg.atleast_2d(x[0]), lambda a: np.atleast_2d(a[0])),
    "atleast_3d": (lambda x: sg.atleast_3d(x), lambda a: np.atleast_3d(a)),
    "take": (lambda x: sg.take(x, [2, 0, 2], axis=1), lambda a: np.take(a, [2, 0, 2], axis=1)),
    "take_flat": (lambda x: sg.take(x, [[11, -1]]), lambda a: np.take(a, [[11, -1]])),
    "take_method": (lambda x: x.take([1, 1], axis=0), lambda a: a.take([1, 1], axis=0)),
    "take_along_axis": (
        lambda x: sg.take_along_axis(x, np.array([[0], [3], [1]]), 1),
        lambda a: np.take_along_axis(a, np.array([[0], [3], [1]]), 1),
    ),
    "index_rows": (lambda x: x[[2, 0]], lambda a: a[[2, 0]]),
    "index_columns": (lambda x: x[:, [1, 1, 3]], lambda a: a[:, [1, 1, 3]]),
    "index_negative": (lambda x: x[np.array([-1, 0])], lambda a: a[np.array([-1, 0])]),
    "index_after_ellipsis": (lambda x: x[..., [0, 3]], lambda a: a[..., [0, 3]]),
    "mask": (lambda x: x[A % 3 == 0], lambda a: a[A % 3 == 0]),
    "mask_rows": (
        lambda x: x[np.array([True, False, True])],
        lambda a: a[np.array([True, False, True])],
    ),
    "swapaxes": (lambda x: x.swapaxes(0, 1), lambda a: a.swapaxes(0, 1)),
    "clip": (lambda x: x.clip(2, 5), lambda a: a.clip(2, 5)),
    "argmax": (lambda x: sg.argmax(x * (x % 5), axis=1), lambda a: np.argmax(a * (a % 5), 1)),
    "argmin_flat": (lambda x: (x % 7).argmin(), lambda a: (a % 7).argmin()),
    "argmax_keepdims": (
        lambda x: x.argmax(axis=0, keepdims=True),
        lambda a: a.argmax(axis=0, keepdims=True),
    ),
}


@pytest.mark.parametrize("dtype", ["float64", "float32", "int64"])
@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_values_and_dtypes_match_numpy(name, dtype):
    build, reference = FUNCTIONS[name]
    a = A.astype(dtype)
    x = sg.var("x", shape=a.shape, dtype=dtype)
    y = build(x)
    got = sg.compile(y)(a)
    expected = reference(a)
    assert y.shape == expected.shape and got.shape == expected.shape
    assert got.dtype == expected.dtype == y.dtype
    np.testing.assert_array_equal(got, expected)


def test_gather_gradients_add_up_repeated_indices():
    x = sg.var("x", shape=(4,))
    y = (x[[1, 1, 3, 1]] * np.array([1.0, 2.0, 3.0, 4.0])).sum()
    g = sg.compile(sg.grad(y, x), inputs=[x])(np.zeros(4))
    np.testing.assert_array_equal(g, [0.0, 7.0, 0.0, 3.0])  # 1 + 2 + 4 at index 1
    m = sg.var("m", shape=(2, 3))
    z = sg.take_along_axis(m, np.array([[2, 2], [0, 1]]), axis=1).sum()
    gm = sg.compile(sg.grad(z, m), inputs=[m])(np.zeros((2, 3)))
    np.testing.assert_array_equal(gm, [[0, 0, 2], [1, 1, 0]])


def test_gather_with_run_time_indices():
    x = sg.var("x", shape=(5,))
    i = sg.var("i", shape=(3,), dtype="int64")
    y = x[i]
    f = sg.compile([y, sg.grad((y * y).sum(), x)], inputs=[x, i])
    value, grad = f(np.arange(5.0), np.array([4, 4, 0]))
    np.testing.assert_array_equal(value, [4.0, 4.0, 0.0])
    np.testing.assert_array_equal(grad, [0.0, 0.0, 0.0, 0.0, 16.0])


def test_errors():
    x = sg.var("x", shape=(3, 4))
    with pytest.raises(IndexError, match="out of range"):
        sg.take(x, [4], axis=1)
    with pytest.raises(TypeError, match="sg.where"):
        x[x > 0]
    with pytest.raises(IndexError, match="could not be broadcast together"):
        x[[0, 1], [1, 2, 0]]
    with pytest.raises(ValueError, match="equal parts"):
        sg.split(x, 3, axis=1)
    with pytest.raises(ValueError, match="not supported"):
        sg.pad(x, 1, mode="wrap")
    with pytest.raises(sg.ShapeError, match="known size"):
        sg.roll(sg.var("v", shape=("n",)), 1)
    with pytest.raises(TypeError, match="integers"):
        sg.take(x, [0.5])
    with pytest.raises(TypeError, match="list or tuple"):
        sg.vstack(3.0)
    with pytest.raises(TypeError, match="0-d"):
        sg.vstack(sg.var("s"))


def test_argmax_has_no_derivative_but_can_select():
    x = sg.var("x", shape=(4,))
    best = sg.take(x, sg.atleast_1d(x.argmax()))  # the largest value, as a gather
    g = sg.compile(sg.grad(best.sum(), x))(np.array([1.0, 5.0, 2.0, 3.0]))
    np.testing.assert_array_equal(g, [0.0, 1.0, 0.0, 0.0])
