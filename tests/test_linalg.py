"""sg.linalg: values against np.linalg (float32, float64 and integers; batched), errors, and
the derivative conventions of the decompositions. Finite-difference checks of every rule
are rows of tests/op_table.py."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest
import sympy

import symgrad as sg
from symgrad import linalg as la
from symgrad.ops import decompositions

from .gradcheck import numeric_jacobian
from .test_op_values import FLOATS, check

# --- inputs ---------------------------------------------------------------------------------


def matrices(kind: str, shape: tuple, dtype, seed: int = 0) -> np.ndarray:
    """Random arrays of a kind the function is defined and well-conditioned on."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, size=shape)
    if np.dtype(dtype).kind == "c":
        x = x + 1j * rng.uniform(-1, 1, size=shape)
    n = shape[-1]
    if kind == "invertible":  # diagonally dominant
        x = x + 4 * np.eye(n)
    elif kind == "spd":
        x = x @ np.swapaxes(x, -1, -2) + 3 * np.eye(n)
    elif kind == "spd, junk above":  # the upper triangle is never read
        spd = x @ np.swapaxes(x, -1, -2) + 3 * np.eye(n)
        x = spd + np.triu(rng.uniform(5, 9, size=shape), 1)
    elif kind == "symmetric":
        x = (x + np.swapaxes(x, -1, -2)) / 2 + np.diag(np.arange(n) * 8.0)
    elif kind == "ints":  # diagonally dominant integers
        dominant = 10 * np.eye(*shape[-2:], dtype=np.int64)
        return (rng.integers(-3, 4, size=shape) + dominant).astype(dtype)
    elif kind == "vector ints":
        return rng.integers(-3, 4, size=shape).astype(dtype)
    else:
        assert kind == "general", kind
    return x.astype(dtype)


@dataclass(frozen=True)
class Case:
    """A linalg function on variables of the given kinds and shapes; ``dtypes`` overrides
    the test's float dtype per input."""

    name: str
    fn: Callable  # symgrad: variables -> Expr or tuple of them
    ref: Callable  # numpy: arrays -> array or tuple of them
    inputs: tuple  # (kind, shape) per input
    dtypes: tuple | None = None


def run_case(case: Case, dtype) -> None:
    dtypes = case.dtypes or (dtype,) * len(case.inputs)
    arrays = [matrices(kind, shape, dt) for (kind, shape), dt in zip(case.inputs, dtypes)]
    xs = [sg.var(f"x{i}", shape=a.shape, dtype=a.dtype) for i, a in enumerate(arrays)]
    built = case.fn(*xs)
    got = sg.compile(built, inputs=xs)(*arrays)
    want = case.ref(*(a.copy() for a in arrays))
    parts = (built, got, want) if isinstance(built, sg.Expr) else None
    for expr, value, reference in [parts] if parts else zip(built, got, want):
        what = f"{case.name} [{', '.join(f'{a.dtype}{a.shape}' for a in arrays)}]"
        assert expr.dtype == np.asarray(reference).dtype, f"{what}: Expr.dtype {expr.dtype}"
        assert expr.shape == np.shape(reference), f"{what}: Expr.shape {expr.shape}"
        check(what, value, reference)


def _params(cases, dtypes=FLOATS):
    return [pytest.param(c, d, id=f"{c.name}-{np.dtype(d).name}") for c in cases for d in dtypes]


# --- values ---------------------------------------------------------------------------------

INV, GEN, SPD, SYM = "invertible", "general", "spd", "symmetric"

DECOMPOSITION_CASES = [
    Case("solve vector", la.solve, np.linalg.solve, ((INV, (3, 3)), (GEN, (3,)))),
    Case("solve matrix", la.solve, np.linalg.solve, ((INV, (3, 3)), (GEN, (3, 2)))),
    Case("solve batched a", la.solve, np.linalg.solve, ((INV, (2, 3, 3)), (GEN, (3,)))),
    Case("solve batched b", la.solve, np.linalg.solve, ((INV, (3, 3)), (GEN, (2, 3, 4)))),
    Case("solve broadcast", la.solve, np.linalg.solve, ((INV, (2, 1, 3, 3)), (GEN, (4, 3, 2)))),
    Case("inv", la.inv, np.linalg.inv, ((INV, (3, 3)),)),
    Case("inv batched", la.inv, np.linalg.inv, ((INV, (2, 3, 3)),)),
    Case("det", la.det, np.linalg.det, ((GEN, (3, 3)),)),
    Case("det batched", la.det, np.linalg.det, ((GEN, (2, 4, 3, 3)),)),
    Case("slogdet", la.slogdet, np.linalg.slogdet, ((GEN, (2, 3, 3)),)),
    Case("cholesky", la.cholesky, np.linalg.cholesky, ((SPD, (3, 3)),)),
    Case(
        "cholesky reads the lower triangle",
        la.cholesky,
        np.linalg.cholesky,
        (("spd, junk above", (2, 3, 3)),),
    ),
    Case(
        "cholesky upper",
        lambda a: la.cholesky(a, upper=True),
        lambda a: np.linalg.cholesky(a, upper=True),
        ((SPD, (2, 3, 3)),),
    ),
    Case("eigh", la.eigh, np.linalg.eigh, ((SYM, (3, 3)),)),
    Case("eigh batched", la.eigh, np.linalg.eigh, ((SYM, (2, 3, 3)),)),
    Case("eigh of a general matrix (lower triangle)", la.eigh, np.linalg.eigh, ((GEN, (4, 4)),)),
    Case(
        "eigh UPLO='U'",
        lambda a: la.eigh(a, UPLO="U"),
        lambda a: np.linalg.eigh(a, UPLO="U"),
        ((GEN, (2, 4, 4)),),
    ),
    Case(
        "eigvalsh",
        la.eigvalsh,
        lambda a: np.linalg.eigh(a).eigenvalues,
        ((SYM, (2, 3, 3)),),
    ),
    Case("svd tall", la.svd, np.linalg.svd, ((GEN, (4, 2)),)),
    Case("svd wide", la.svd, np.linalg.svd, ((GEN, (2, 3)),)),
    Case(
        "svd thin",
        lambda a: la.svd(a, full_matrices=False),
        lambda a: np.linalg.svd(a, full_matrices=False),
        ((GEN, (2, 4, 3)),),
    ),
    Case("svd square batched", la.svd, np.linalg.svd, ((GEN, (2, 3, 3)),)),
    Case(
        "svd compute_uv=False",
        lambda a: la.svd(a, compute_uv=False),
        lambda a: np.linalg.svd(a, compute_uv=False),
        ((GEN, (2, 3, 5)),),
    ),
    Case("svdvals", la.svdvals, np.linalg.svdvals, ((GEN, (3, 2)),)),
    Case("pinv tall", la.pinv, np.linalg.pinv, ((GEN, (4, 2)),)),
    Case("pinv wide batched", la.pinv, np.linalg.pinv, ((GEN, (2, 2, 3)),)),
]

MATRIX_POWER_CASES = [
    Case(
        f"matrix_power n={n}",
        lambda a, n=n: la.matrix_power(a, n),
        lambda a, n=n: np.linalg.matrix_power(a, n),
        ((INV, (2, 3, 3)),),
    )
    for n in (0, 1, 2, 3, 4, 5, 6, 7, 11, -1, -2, -3, -6)
]

NORM_CASES = [
    Case(
        f"norm(ord={ord!r}, axis={axis!r}, keepdims={keep})",
        lambda x, ord=ord, axis=axis, keep=keep: la.norm(x, ord, axis, keep),
        lambda a, ord=ord, axis=axis, keep=keep: np.linalg.norm(a, ord, axis, keep),
        ((GEN, shape),),
    )
    for ord, axis, shape in [
        (None, None, (2, 3, 4)),
        (None, 1, (2, 3, 4)),
        (2, None, (5,)),
        (2, -1, (2, 5)),
        (1, None, (5,)),
        (np.inf, 0, (4, 3)),
        (-np.inf, None, (5,)),
        (0, None, (5,)),
        (3, 1, (2, 5)),
        (0.5, None, (5,)),
        (-1, None, (5,)),
        (-2, 0, (5, 2)),
        ("fro", None, (3, 4)),
        ("f", (0, 2), (3, 2, 4)),
        (None, (2, 0), (3, 2, 4)),
        ("nuc", None, (3, 4)),
        ("nuc", (0, 2), (3, 2, 4)),
        (2, None, (4, 3)),
        (-2, (2, 1), (2, 4, 3)),
        (1, None, (3, 4)),
        (-1, (1, 0), (3, 4)),
        (np.inf, (0, 2), (3, 2, 4)),
        (-np.inf, None, (3, 4)),
    ]
    for keep in (False, True)
]

INT32, INT64 = np.dtype("int32"), np.dtype("int64")
INTEGER_CASES = [
    Case("inv of ints", la.inv, np.linalg.inv, (("ints", (3, 3)),), (INT64,)),
    Case("det of ints", la.det, np.linalg.det, (("ints", (2, 3, 3)),), (INT32,)),
    Case("slogdet of ints", la.slogdet, np.linalg.slogdet, (("ints", (3, 3)),), (INT64,)),
    Case(
        "solve with int b",
        la.solve,
        np.linalg.solve,
        ((INV, (3, 3)), ("vector ints", (3,))),
        (np.dtype("float32"), INT64),
    ),
    Case(
        "solve float32 with float64",
        la.solve,
        np.linalg.solve,
        ((INV, (3, 3)), (GEN, (3, 2))),
        (np.dtype("float32"), np.dtype("float64")),
    ),
    Case(
        "matrix_power of ints stays int",
        lambda a: la.matrix_power(a, 3),
        lambda a: np.linalg.matrix_power(a, 3),
        (("ints", (3, 3)),),
        (INT64,),
    ),
    Case(
        "matrix_power 0 of ints",
        lambda a: la.matrix_power(a, 0),
        lambda a: np.linalg.matrix_power(a, 0),
        (("ints", (2, 3, 3)),),
        (INT32,),
    ),
    Case(
        "matrix_power -2 of ints",
        lambda a: la.matrix_power(a, -2),
        lambda a: np.linalg.matrix_power(a, -2),
        (("ints", (3, 3)),),
        (INT64,),
    ),
    Case("pinv of ints", la.pinv, np.linalg.pinv, (("ints", (3, 2)),), (INT64,)),
    Case("svd of ints", la.svd, np.linalg.svd, (("ints", (3, 3)),), (INT64,)),
] + [
    Case(
        f"norm of ints (ord={ord!r})",
        lambda x, ord=ord: la.norm(x, ord),
        lambda a, ord=ord: np.linalg.norm(a, ord),
        (("vector ints", shape),),
        (INT64,),
    )
    for ord, shape in [
        (None, (5,)),
        (1, (5,)),
        (3, (5,)),
        (0, (5,)),
        (np.inf, (5,)),
        ("nuc", (3, 3)),
        (1, (3, 3)),
    ]
]


COMPLEX = [np.dtype("complex64"), np.dtype("complex128")]
COMPLEX_CASES = (
    [
        c
        for c in DECOMPOSITION_CASES
        if c.name.startswith(("solve", "inv", "det", "slogdet", "svd", "pinv"))
    ]
    + [
        Case("qr tall", la.qr, np.linalg.qr, ((GEN, (4, 3)),)),
        Case("qr wide batched", la.qr, np.linalg.qr, ((GEN, (2, 2, 3)),)),
        Case(
            "qr complete",
            lambda a: la.qr(a, mode="complete"),
            lambda a: np.linalg.qr(a, mode="complete"),
            ((GEN, (4, 2)),),
        ),
        Case(
            "qr mode='r'",
            lambda a: la.qr(a, mode="r"),
            lambda a: np.linalg.qr(a, mode="r"),
            ((GEN, (3, 3)),),
        ),
        Case(
            "lstsq tall",
            lambda a, b: (lambda r: (r[0], r[1], r[3]))(la.lstsq(a, b)),
            lambda a, b: (lambda r: (r[0], r[1], r[3]))(np.linalg.lstsq(a, b)),
            ((GEN, (4, 2)), (GEN, (4, 3))),
        ),
        Case(
            "lstsq wide, vector b",
            lambda a, b: (lambda r: (r[0], r[1], r[3]))(la.lstsq(a, b)),
            lambda a, b: (lambda r: (r[0], r[1], r[3]))(np.linalg.lstsq(a, b)),
            ((GEN, (2, 3)), (GEN, (2,))),
        ),
    ]
    + [
        Case(
            f"norm(ord={ord!r}, axis={axis!r})",
            lambda x, ord=ord, axis=axis: la.norm(x, ord, axis),
            lambda a, ord=ord, axis=axis: np.linalg.norm(a, ord, axis),
            ((GEN, shape),),
        )
        for ord, axis, shape in [
            (2, None, (4, 3)),
            (-2, (2, 1), (2, 4, 3)),
            ("nuc", None, (3, 4)),
            ("nuc", (0, 2), (3, 2, 4)),
            (1, None, (3, 4)),
            ("fro", None, (3, 4)),
            (None, None, (2, 3)),
        ]
    ]
)


@pytest.mark.parametrize("case, dtype", _params(COMPLEX_CASES, COMPLEX))
def test_complex_decompositions_match_numpy(case, dtype):
    """Values, dtypes and shapes of complex matrices: complex64 stays complex64, and the
    singular values, logabsdet, residuals and norms are real, as NumPy gives them."""
    run_case(case, dtype)


@pytest.mark.parametrize("case, dtype", _params(DECOMPOSITION_CASES))
def test_decompositions_match_numpy(case, dtype):
    run_case(case, dtype)


@pytest.mark.parametrize("case, dtype", _params(MATRIX_POWER_CASES))
def test_matrix_power_matches_numpy(case, dtype):
    run_case(case, dtype)


@pytest.mark.parametrize("case, dtype", _params(NORM_CASES))
def test_norm_matches_numpy(case, dtype):
    run_case(case, dtype)


@pytest.mark.parametrize("case", [pytest.param(c, id=c.name) for c in INTEGER_CASES])
def test_integer_and_mixed_inputs_follow_numpy(case):
    run_case(case, None)


def test_float16_norms_without_lapack_match_numpy():
    x = np.random.default_rng(0).uniform(-1, 1, (3, 4)).astype(np.float16)
    v = sg.var("x", shape=(3, 4), dtype="float16")
    for ord in (None, 1, np.inf, "fro"):
        check(f"norm(ord={ord!r}) float16", la.norm(v, ord).eval({v: x}), np.linalg.norm(x, ord))


# --- the namespace --------------------------------------------------------------------------


def test_linalg_is_a_namespace_of_symgrad():
    assert "linalg" in sg.__all__
    assert sg.linalg is la
    assert sg.linalg.solve is decompositions.solve
    for name in la.__all__:
        assert getattr(la, name) is not None, name
    assert sg.norm is sg.linalg.norm


def test_multiple_results_are_named_like_numpys():
    a = sg.var("a", shape=(3, 3))
    assert la.slogdet(a)._fields == np.linalg.slogdet(np.eye(3))._fields
    assert la.eigh(a)._fields == np.linalg.eigh(np.eye(3))._fields
    assert la.svd(a)._fields == np.linalg.svd(np.eye(3))._fields
    w, v = la.eigh(a)
    assert w is la.eigh(a).eigenvalues and v is la.eigh(a)[1]


# --- derivative conventions -----------------------------------------------------------------


def _grad_at(y, a, value):
    return sg.compile(sg.grad(y, a), inputs=[a])(value)


def test_det_gradient_is_jacobis_formula():
    value = matrices(INV, (2, 3, 3), np.float64)
    a = sg.var("a", shape=value.shape)
    expected = np.linalg.det(value)[:, None, None] * np.linalg.inv(value).swapaxes(-1, -2)
    np.testing.assert_allclose(_grad_at(la.det(a).sum(), a, value), expected, rtol=1e-12)


def test_slogdet_sign_has_a_zero_gradient():
    value = -matrices(INV, (3, 3), np.float64)
    a = sg.var("a", shape=(3, 3))
    sign, logabsdet = la.slogdet(a)
    assert float(sign.eval({a: value})) == -1.0
    np.testing.assert_array_equal(_grad_at(sign * 5.0, a, value), np.zeros((3, 3)))
    np.testing.assert_allclose(
        _grad_at(sign * logabsdet, a, value), -np.linalg.inv(value).T, rtol=1e-12
    )


def test_eigenvalue_gradient_is_the_outer_product_of_its_eigenvector():
    value = matrices(SYM, (4, 4), np.float64)
    a = sg.var("a", shape=(4, 4))
    _, vectors = np.linalg.eigh(value)
    for k in range(4):
        got = _grad_at(la.eigvalsh(a)[k], a, value)
        np.testing.assert_allclose(got, np.outer(vectors[:, k], vectors[:, k]), atol=1e-12)


@pytest.mark.parametrize(
    "function",
    [
        lambda a: la.eigh(a).eigenvectors,
        lambda a: la.eigh(a, UPLO="U").eigenvalues,
        la.cholesky,
        lambda a: la.cholesky(a, upper=True),
    ],
    ids=["eigh vectors", "eigh values (upper)", "cholesky", "cholesky upper"],
)
def test_symmetric_input_convention(function):
    """Gradients are symmetric; they and the tangents are those of f((A + A^T) / 2), checked
    by finite differences along symmetric and antisymmetric directions."""
    rng = np.random.default_rng(4)
    value = matrices(SPD, (3, 3), np.float64) + np.diag([0.0, 4.0, 8.0])
    a = sg.var("a", shape=(3, 3))
    y = function(a)
    weights = rng.normal(size=y.shape)
    gradient = _grad_at((y * weights).sum(), a, value)
    np.testing.assert_allclose(gradient, gradient.T, atol=1e-13)

    def f(m):
        return np.sum(sg.compile(y, inputs=[a])((m + m.T) / 2) * weights)

    symmetric = rng.normal(size=(3, 3))
    symmetric = symmetric + symmetric.T
    antisymmetric = symmetric - 2 * np.tril(symmetric)
    for direction in (symmetric, antisymmetric):
        h = 1e-6
        expected = (f(value + h * direction) - f(value - h * direction)) / (2 * h)
        assert np.sum(gradient * direction) == pytest.approx(expected, rel=1e-6, abs=1e-8)
        tangent = sg.compile(sg.jvp(y, a, direction), inputs=[a])(value)
        assert np.sum(tangent * weights) == pytest.approx(expected, rel=1e-6, abs=1e-8)


def test_nuclear_norm_gradient_is_u_vt():
    value = matrices(GEN, (4, 3), np.float64)
    a = sg.var("a", shape=(4, 3))
    u, _, vh = np.linalg.svd(value, full_matrices=False)
    np.testing.assert_allclose(_grad_at(la.norm(a, "nuc"), a, value), u @ vh, atol=1e-12)


def test_pinv_of_an_invertible_matrix_differentiates_like_inv():
    value = matrices(INV, (3, 3), np.float64)
    a = sg.var("a", shape=(3, 3))
    weights = np.random.default_rng(5).normal(size=(3, 3))
    np.testing.assert_allclose(
        _grad_at((la.pinv(a) * weights).sum(), a, value),
        _grad_at((la.inv(a) * weights).sum(), a, value),
        rtol=1e-10,
        atol=1e-12,
    )


def test_full_svd_factors_of_a_non_square_matrix_are_not_differentiated():
    a = sg.var("a", shape=(3, 2))
    u, s, vh = la.svd(a)
    with pytest.raises(ValueError, match="full_matrices=False"):
        sg.grad(u.sum(), a)
    with pytest.raises(ValueError, match="full_matrices=False"):
        sg.jvp(vh, a, np.ones((3, 2)))
    assert sg.grad(s.sum(), a).shape == (3, 2)  # the singular values are fine


# --- symbolic sizes -------------------------------------------------------------------------


def test_symbolic_square_matrices_differentiate_like_concrete_ones():
    value = matrices(SPD, (2, 3, 3), np.float64) + np.diag([0.0, 4.0, 8.0])
    rhs = matrices(GEN, (3,), np.float64)

    def loss(a, b):
        a = (a + sg.swapaxes(a, -1, -2)) * 0.5  # cholesky and eigh read one triangle
        w, v = la.eigh(a)
        u, s, vh = la.svd(a)
        return (
            la.solve(a, b).sum()
            + la.det(a).sum()
            + (la.cholesky(a) * 0.5).sum()
            + (w * 0.3).sum()
            + (v[..., 0] * v[..., 1]).sum()
            + (u * vh).sum()
            + la.norm(a, "nuc", axis=(-2, -1)).sum()
            + la.matrix_power(a, 0).sum()
            + la.pinv(a).sum()
        )

    results = []
    for shape in [(2, "n", "n"), (2, 3, 3)]:
        a = sg.var("a", shape=shape)
        b = sg.var("b", shape=shape[-1:])
        y = loss(a, b)
        results.append(sg.compile([y, sg.grad(y, a)], inputs=[a, b])(value, rhs))
    (y_symbolic, g_symbolic), (y_concrete, g_concrete) = results
    assert y_symbolic == pytest.approx(y_concrete, rel=1e-12)
    np.testing.assert_allclose(g_symbolic, g_concrete, rtol=1e-10, atol=1e-12)
    a = sg.var("a", shape=(3, 3))
    f = sg.compile(loss(a, sg.const(rhs)), inputs=[a])
    np.testing.assert_allclose(
        g_concrete[0], numeric_jacobian(f, [value[0]], 0), rtol=1e-6, atol=1e-7
    )


# --- SymPy ----------------------------------------------------------------------------------


def test_sympy_translations_are_the_textbook_formulas():
    a = sg.var("a", shape=(2, 2))
    s = sympy.Matrix(2, 2, lambda i, j: sympy.Symbol(f"a[{i}, {j}]"))
    assert sympy.expand(sg.to_sympy(la.det(a)) - s.det()) == 0
    inverse = sympy.Matrix(sg.to_sympy(la.inv(a)).tolist())
    assert sympy.simplify(inverse - s.inv()) == sympy.zeros(2, 2)
    b = sg.var("b", shape=(2,))
    sb = sympy.Matrix([sympy.Symbol(f"b[{i}]") for i in range(2)])
    x = sympy.Matrix(sg.to_sympy(la.solve(a, b)).tolist())
    assert sympy.simplify(s * x - sb) == sympy.zeros(2, 1)
    low = sympy.Matrix(sg.to_sympy(la.cholesky(a)).tolist())
    assert low[0, 1] == 0 and sympy.simplify(low[1, 0] - s[1, 0] / sympy.sqrt(s[0, 0])) == 0


def test_sympy_translation_stops_at_large_matrices():
    a = sg.var("a", shape=(5, 5))
    with pytest.raises(NotImplementedError, match="up to 4x4"):
        sg.to_sympy(la.det(a))


def test_decompositions_without_a_sympy_form_say_so():
    a = sg.var("a", shape=(2, 2))
    for y in (la.eigh(a).eigenvalues, la.svd(a).U, la.pinv(a)):
        with pytest.raises(NotImplementedError, match="has no SymPy translation"):
            sg.to_sympy(y)


# --- errors ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "build, error, match",
    [
        (lambda: la.inv(sg.var("v", shape=(3,))), sg.ShapeError, "inv: .*two-dimensional"),
        (lambda: la.det(sg.var("m", shape=(2, 3))), sg.ShapeError, "det: .*square"),
        (lambda: la.eigh(sg.var("m", shape=(3, 2))), sg.ShapeError, "eigh: .*square"),
        (lambda: la.cholesky(sg.var("v", shape=())), sg.ShapeError, "cholesky: .*two-dim"),
        (lambda: la.svd(sg.var("v", shape=(3,))), sg.ShapeError, "svd: .*two-dimensional"),
        (
            lambda: la.svd(sg.var("m", shape=("m", "n"))),
            sg.ShapeError,
            r"svd: .*min\(m, n\)",
        ),
        (
            lambda: la.inv(sg.var("h", shape=(2, 2), dtype="float16")),
            TypeError,
            "inv: array type float16 is unsupported",
        ),
        (
            lambda: la.solve(sg.var("a", shape=(3, 3)), sg.var("b", shape=(2,))),
            sg.ShapeError,
            "solve: b of shape .2,. does not fit a of shape .3, 3.",
        ),
        (
            lambda: la.solve(sg.var("a", shape=(2, 3, 3)), sg.var("b", shape=(2, 3))),
            sg.ShapeError,
            "solve: b of shape .2, 3. does not fit",  # NumPy 2: a 2-d b is a matrix
        ),
        (
            lambda: la.solve(sg.var("a", shape=(2, 3, 3)), sg.var("b", shape=(4, 3, 1))),
            sg.ShapeError,
            "solve: shapes .* cannot be broadcast",
        ),
        (
            lambda: la.solve(sg.var("a", shape=(3, 3)), 2.0),
            sg.ShapeError,
            "solve: b of shape ()",
        ),
        (
            lambda: la.solve(sg.var("a", shape=(3, 3)), sg.var("b", shape=(3,), dtype="float16")),
            TypeError,
            "solve: array type float16",
        ),
        (lambda: la.eigh(sg.var("a", shape=(2, 2)), UPLO="X"), ValueError, "UPLO argument"),
        (lambda: la.eigvalsh(sg.var("a", shape=(2, 2)), "l"), ValueError, "UPLO argument"),
        (lambda: decompositions.Eigh("X"), ValueError, "UPLO argument"),
        (
            lambda: la.svd(sg.var("a", shape=(2, 2)), hermitian=True),
            ValueError,
            "svd: hermitian=True is not supported",
        ),
        (lambda: la.pinv(sg.var("a", shape=(2, 3)), rcond=1e-3), ValueError, "pinv: rcond"),
        (lambda: la.pinv(sg.var("a", shape=(2, 3)), rtol=1e-3), ValueError, "pinv: rcond"),
        (
            lambda: la.matrix_power(sg.var("a", shape=(2, 2)), 1.5),
            TypeError,
            "matrix_power: exponent must be an integer",
        ),
        (
            lambda: la.matrix_power(sg.var("a", shape=(2, 3)), 2),
            sg.ShapeError,
            "matrix_power: .*square",
        ),
        (
            lambda: la.norm(sg.var("v", shape=(3,)), "fro"),
            ValueError,
            "norm: invalid norm order 'fro' for vectors",
        ),
        (
            lambda: la.norm(sg.var("m", shape=(3, 3)), 3),
            ValueError,
            "norm: invalid norm order 3 for matrices",
        ),
        (
            lambda: la.norm(sg.var("m", shape=(3, 3)), "max"),
            ValueError,
            "norm: invalid norm order 'max' for matrices",
        ),
        (
            lambda: la.norm(sg.var("m", shape=(3, 3)), axis=(1, -1)),
            ValueError,
            "norm: duplicate axes",
        ),
        (
            lambda: la.norm(sg.var("t", shape=(2, 3, 4)), 2),
            ValueError,
            "norm: improper number of dimensions",
        ),
        (
            lambda: la.norm(sg.var("t", shape=(2, 3, 4)), axis=(0, 1, 2)),
            ValueError,
            "norm: improper number of dimensions",
        ),
        (lambda: la.norm(sg.var("t", shape=(2, 3)), axis=1.5), TypeError, "norm: 'axis'"),
        (
            lambda: la.norm(sg.var("t", shape=(2, 3)), axis=2),
            sg.ShapeError,
            "axis 2 is out of bounds",
        ),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_errors_name_the_function_and_the_problem(build, error, match):
    with pytest.raises(error, match=match):
        build()


def test_singular_matrices_fail_at_run_time_like_numpy():
    a = sg.var("a", shape=(2, 2))
    f = sg.compile(la.inv(a))
    with pytest.raises(np.linalg.LinAlgError):
        f(np.ones((2, 2)))


def test_a_saved_graph_cannot_smuggle_text_into_eighs_uplo(tmp_path):
    a = sg.var("a", shape=(2, 2))
    path = tmp_path / "eigh.json"
    sg.save_graph(la.eigh(a, UPLO="U").eigenvalues, path)
    document = json.loads(path.read_text())
    (node,) = [n for n in document["nodes"] if n["op"] == "eigh"]
    assert node["params"] == {"uplo": "U"}
    node["params"]["uplo"] = "U'); import os; ('"
    hostile = tmp_path / "hostile.json"
    hostile.write_text(json.dumps(document))
    with pytest.raises(sg.GraphFileError, match="UPLO argument must be 'L' or 'U'"):
        sg.load_graph(hostile)
    value = np.array([[2.0, 9.0], [1.0, 2.0]])  # the upper triangle is read
    np.testing.assert_array_equal(
        sg.compile(sg.load_graph(path))(value), np.linalg.eigh(value, UPLO="U").eigenvalues
    )


def test_files_saved_with_one_op_per_result_still_load(tmp_path):
    """Earlier versions saved each result of slogdet, eigh and svd as an op of its own."""

    def node(op, params, inputs=(0,)):
        return {"op": op, "params": params, "inputs": list(inputs)}

    document = {
        "format": "symgrad-graph",
        "version": 1,
        "nodes": [
            node("var", {"name": "a", "shape": [3, 3], "dtype": "float64"}, ()),
            node("slogdet_sign", {}),
            node("slogdet_logabsdet", {}),
            node("eigh_values", {"uplo": "U"}),
            node("eigh_vectors", {"uplo": "L"}),
            node("svd_u", {"full_matrices": False}),
            node("svd_s", {}),
            node("svd_vh", {"full_matrices": False}),
        ],
        "outputs": {"list": [{"node": i} for i in range(1, 8)]},
    }
    path = tmp_path / "old.json"
    path.write_text(json.dumps(document))
    outputs = sg.load_graph(path)
    a = matrices(SYM, (3, 3), np.float64) + np.triu(np.ones((3, 3)), 1)  # triangles differ
    f = sg.compile(outputs)
    got = f(a)
    sign, logabsdet = np.linalg.slogdet(a)
    u, s, vh = np.linalg.svd(a)
    expected = [sign, logabsdet, np.linalg.eigvalsh(a, UPLO="U"), np.linalg.eigh(a).eigenvectors]
    expected += [u, s, vh]
    for g, e in zip(got, expected):
        np.testing.assert_allclose(np.abs(g), np.abs(e), rtol=1e-12, atol=1e-12)
    body = f.source.split("def evaluate")[1]
    assert body.count("np.linalg.svd(") == 1 and body.count("np.linalg.slogdet(") == 1


def test_results_of_one_decomposition_share_one_call():
    A = sg.var("A", shape=(3, 3))
    B = sg.var("B", shape=(5, 3))
    sign, logdet = sg.linalg.slogdet(A)
    w, v = sg.linalg.eigh(A)
    u, s, vh = sg.linalg.svd(B, full_matrices=False)
    y = logdet + sg.sum(w * w) + sg.sum(v[:, 0] ** 2) + sg.sum(s)
    outputs = [sign, logdet, w, v, u, s, vh, sg.grad(y, [A, B])]
    f = sg.compile(outputs)
    body = f.source.split("def evaluate")[1].split("\n\n\n")[0]
    assert body.count("np.linalg.slogdet(") == 1
    assert body.count("np.linalg.eigh(") == 1 and "eigvalsh" not in body
    assert body.count("np.linalg.svd(") == 1
    rng = np.random.default_rng(4)
    a = rng.normal(size=(3, 3))
    a = a + a.T + 6 * np.eye(3)
    b = rng.normal(size=(5, 3))
    got = f(a, b)
    want_sign, want_logdet = np.linalg.slogdet(a)
    assert got[0] == want_sign and got[1] == pytest.approx(want_logdet, rel=1e-14)
    np.testing.assert_allclose(got[2], np.linalg.eigvalsh(a), rtol=1e-13)
    np.testing.assert_allclose(np.abs(got[3]), np.abs(np.linalg.eigh(a).eigenvectors), rtol=1e-12)
    np.testing.assert_allclose(got[5], np.linalg.svd(b, compute_uv=False), rtol=1e-13)
    np.testing.assert_allclose(got[4] * got[5] @ got[6], b, atol=1e-12)
    plain = sg.compile(outputs, optimize=False)(a, b)  # separate calls: same gradient
    for g, p in zip(got[7], plain[7]):
        np.testing.assert_allclose(g, p, rtol=1e-12, atol=1e-12)
    # One result alone keeps its cheaper call.
    alone = sg.compile(sg.linalg.eigvalsh(A)).source
    assert "np.linalg.eigvalsh(" in alone and "np.linalg.eigh(" not in alone


def test_decompositions_of_constants_are_folded_to_numpys_values():
    a = np.array([[2.0, 1.0], [1.0, 3.0]])
    x = sg.var("x", shape=(2,))
    u, s, vh = la.svd(a)
    sign, logabsdet = la.slogdet(a)
    outputs = [x * la.eigvalsh(a), x * s, u @ vh, sign * logabsdet]
    f = sg.compile(outputs)
    assert "np.linalg" not in f.source.split("def evaluate")[1].split("class BindError")[0]
    got = f(np.ones(2))
    np.testing.assert_array_equal(got[0], np.linalg.eigvalsh(a))
    np.testing.assert_array_equal(got[1], np.linalg.svd(a, compute_uv=False))
    np.testing.assert_array_equal(got[2], np.linalg.svd(a).U @ np.linalg.svd(a).Vh)
    np.testing.assert_array_equal(got[3], np.prod(np.linalg.slogdet(a)))


def test_the_optimizer_treats_decompositions_as_single_nodes_not_control_flow():
    from symgrad.core.walk import topological_order
    from symgrad.optimize import rewriter

    a = sg.var("a", shape=(3, 3))
    u, s, vh = la.svd(a)
    y = (s * 1.0).sum() + (u @ vh).sum()
    run = rewriter(True)
    (out,) = run.run([y])
    # No bodies to rewrite and nothing for prune to drop: prune is not run.
    assert not run.saw_control_flow
    svd_nodes = {id(n.inputs[0]) for n in topological_order([out]) if n.op.name == "item"}
    assert len(svd_nodes) == 1, "the three results still come from one svd node"
    value = np.arange(9.0).reshape(3, 3) + np.eye(3)
    np.testing.assert_allclose(
        sg.compile(out, [a])(value),
        np.linalg.svd(value, compute_uv=False).sum()
        + (np.linalg.svd(value).U @ np.linalg.svd(value).Vh).sum(),
    )
