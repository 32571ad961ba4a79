"""Building graphs: value semantics, shape and dtype inference, and build-time errors."""

import numpy as np
import pytest

import symgrad as sg


def test_identical_subexpressions_are_one_node():
    x = sg.var("x", shape=(3,))
    a = sg.sin(x) * sg.exp(x)
    b = sg.sin(x) * sg.exp(x)
    assert a is b
    assert a.inputs[0] is b.inputs[0]


def test_each_var_call_is_a_new_variable():
    a, b = sg.var("x"), sg.var("x")
    assert a is not b
    assert (a + 1) is not (b + 1)


def test_constants_compare_by_value():
    assert sg.const([1.0, 2.0]) is sg.const(np.array([1.0, 2.0]))
    assert sg.const([1.0, 2.0]) is not sg.const([1.0, 3.0])
    assert sg.const(np.float32(1)) is not sg.const(np.float64(1))


def test_expr_is_immutable():
    x = sg.var("x")
    with pytest.raises(AttributeError):
        x.shape = (2,)


def test_attributes():
    x = sg.var("x", shape=("n", 3), dtype="float32")
    assert x.shape == ("n", 3)
    assert x.ndim == 2
    assert x.dtype == np.float32
    assert x.name == "x"
    assert (x + 1).name is None
    assert x.T.shape == (3, "n")
    assert x.size == "n*3"
    assert sg.var("y", shape=(2, 5)).size == 10


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_float_dtype_is_kept_with_python_scalars(dtype):
    x = sg.var("x", shape=(3,), dtype=dtype)
    for y in [
        x * 2.0,
        2 * x,
        x / 3,
        x**2,
        1 - x,
        sg.sin(x),
        sg.sigmoid(x),
        x.mean(),
        sg.logsumexp(x),
        sg.softmax(x),
        sg.where(x > 0, x, 0.0),
        sg.norm(x),
    ]:
        assert y.dtype == np.dtype(dtype), y


def test_dtype_promotion_follows_numpy():
    x32 = sg.var("x", shape=(3,), dtype="float32")
    x64 = sg.var("y", shape=(3,))
    i = sg.var("i", shape=(3,), dtype="int64")
    assert (x32 + x64).dtype == np.float64
    assert (i + 1).dtype == np.int64
    assert (i + 1.5).dtype == np.float64
    assert (i / 2).dtype == np.float64
    assert (x32 * np.float64(2)).dtype == np.float64  # NumPy scalars are not weak
    assert (x32 > 0).dtype == np.bool_
    assert sg.sin(i).dtype == np.float64


def test_symbolic_dims_broadcast_with_one_and_themselves():
    x = sg.var("x", shape=("n", 3))
    assert (x + sg.var("b", shape=(3,))).shape == ("n", 3)
    assert (x + sg.var("c", shape=("n", 1))).shape == ("n", 3)
    assert (x @ sg.var("w", shape=(3, "m"))).shape == ("n", "m")


def test_reshape_with_symbolic_dims():
    x = sg.var("x", shape=("n", 3, 2))
    assert x.reshape(("n", 6)).shape == ("n", 6)
    assert x.reshape((-1, 6)).shape == ("n", 6)
    assert x.reshape((6, -1)).shape == (6, "n")
    with pytest.raises(sg.ShapeError, match="reshape"):
        x.reshape((-1,))  # n*6 is not a single dimension


def test_shape_error_names_op_shapes_and_user_line():
    x = sg.var("x", shape=(3,))
    y = sg.var("y", shape=(4,))
    with pytest.raises(sg.ShapeError) as info:
        x + y  # the line the message must point at
    message = str(info.value)
    assert message.startswith("add:")
    assert "(3,)" in message and "(4,)" in message
    assert f"{__file__}:" in message
    line = int(message.rsplit(":", 1)[1].rstrip(")"))
    with open(__file__) as source:
        assert "x + y" in source.read().splitlines()[line - 1]


def test_shape_error_is_a_value_error():
    assert issubclass(sg.ShapeError, ValueError)


@pytest.mark.parametrize(
    "build, op",
    [
        (lambda a, b: a @ a, "matmul"),
        (lambda a, b: sg.concatenate([a, b]), "concatenate"),
        (lambda a, b: sg.stack([a, b]), "stack"),
        (lambda a, b: a.reshape((7,)), "reshape"),
        (lambda a, b: sg.broadcast_to(a, (4, 3)), "broadcast_to"),
        (lambda a, b: a.sum(axis=2), "sum"),
        (lambda a, b: a[0, 0, 0], "getitem"),
        (lambda a, b: a[5], "getitem"),
        (lambda a, b: sg.squeeze(a, 0), "squeeze"),
        (lambda a, b: sg.transpose(a, (0, 0)), "transpose"),
        (lambda a, b: sg.where(a > 0, a, b), "where"),
        (lambda a, b: sg.softmax(a, axis=3), "softmax"),
    ],
)
def test_shape_mistakes_raise_shape_error(build, op):
    a = sg.var("a", shape=(2, 3))
    b = sg.var("b", shape=(3, 2))
    with pytest.raises(sg.ShapeError, match=f"^{op}:"):
        build(a, b)


def test_symbolic_mismatch_is_a_shape_error():
    x = sg.var("x", shape=("n",))
    y = sg.var("y", shape=("m",))
    with pytest.raises(sg.ShapeError, match="n vs m|m vs n"):
        x + y
    with pytest.raises(sg.ShapeError, match="symbolic"):
        x[1:]


@pytest.mark.parametrize("bad", ["a", None, object(), {"a": 1}, [1, "a"], sg])
def test_non_numeric_objects_raise_type_error(bad):
    x = sg.var("x", shape=(2,))
    with pytest.raises(TypeError):
        x + bad
    with pytest.raises(TypeError):
        sg.sin(bad)


def test_bad_declarations():
    with pytest.raises(TypeError, match="name"):
        sg.var(3)
    with pytest.raises(TypeError, match="datetime64.* is not supported"):
        sg.var("z", dtype="datetime64[s]")
    assert sg.var("z", dtype="complex128").dtype == np.complex128
    with pytest.raises(TypeError, match="dtype"):
        sg.var("z", dtype="not a dtype")
    with pytest.raises(sg.ShapeError, match=">= 0"):
        sg.var("z", shape=(-1,))
    with pytest.raises(sg.ShapeError):
        sg.var("z", shape=(2.5,))
    with pytest.raises(TypeError):
        sg.const("text")


def test_truth_value_is_refused_with_a_hint():
    x = sg.var("x")
    with pytest.raises(TypeError, match=r"sg\.where\(.*sg\.cond\(.*sg\.while_loop\(") as error:
        if x > 0:
            pass
    assert "Python `if` or `while`" in str(error.value)
    with pytest.raises(TypeError, match="sg.while_loop"):
        while x < 10:
            x = 2 * x


def test_numpy_arrays_on_the_left_build_expressions():
    x = sg.var("x", shape=(3,))
    y = np.ones(3) + x
    assert isinstance(y, sg.Expr)
    z = np.ones((2, 3)) @ x
    assert isinstance(z, sg.Expr) and z.shape == (2,)


def test_iteration_over_a_concrete_first_axis():
    x = sg.var("x", shape=(3, 2))
    rows = list(x)
    assert len(rows) == 3 and rows[0].shape == (2,)
    with pytest.raises(TypeError):
        list(sg.var("s"))


def test_expr_cannot_be_pickled():
    import pickle

    with pytest.raises(TypeError, match="save_graph"):
        pickle.dumps(sg.var("x"))
