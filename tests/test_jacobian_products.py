"""Jacobians and Hessians through matrix products: right values, and BLAS-shaped code.

Batched cotangents and tangents meet one matrix as one matrix product (not a batched
matrix-vector product), and products and sums with the identity seeds act on the diagonal
only. Values are checked against hand-derived formulas.
"""

from __future__ import annotations

import numpy as np
import pytest

import symgrad as sg
from symgrad.core.walk import topological_order
from symgrad.optimize import optimize
from tests.source import evaluate_body

N = 6
RNG = np.random.default_rng(3)
B0 = RNG.normal(size=(N, N))
X0 = RNG.normal(size=N)
B = sg.var("B", shape=(N, N))
X = sg.var("x", shape=(N,))

PRODUCTS = {
    "matmul": lambda b, x: b @ x,
    "dot": sg.dot,
    "einsum": lambda b, x: sg.einsum("ij,j->i", b, x),
    "einsum_transposed": lambda b, x: sg.einsum("j,ij->i", x, b),
    "tensordot": lambda b, x: sg.tensordot(b, x, 1),
}


def _jacobian_by_hand(b, x):
    t = np.tanh(b @ x)
    return np.diag(t) + ((1 - t * t) * x)[:, None] * b


def _hessian_by_hand(b, x):
    t = np.tanh(b @ x)
    d = 1 - t * t
    db = d[:, None] * b
    return db + db.T + b.T @ ((-2 * t * d * x)[:, None] * b)


@pytest.mark.parametrize("product", PRODUCTS.values(), ids=PRODUCTS.keys())
def test_jacobian_and_hessian_through_a_product(product):
    y = sg.tanh(product(B, X)) * X
    jac = sg.compile(sg.jacobian(y, X), inputs=[B, X])
    hessian = sg.hessian(y.sum(), X)
    hess = sg.compile(hessian, inputs=[B, X])
    products = [n for n in topological_order(optimize([hessian])) if n.op.name == "matmul"]
    assert all(x.ndim <= 2 for n in products for x in n.inputs), "a stack of products"
    np.testing.assert_allclose(jac(B0, X0), _jacobian_by_hand(B0, X0), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(hess(B0, X0), _hessian_by_hand(B0, X0), rtol=1e-11, atol=1e-13)
    # The Jacobian scales B's rows and adds to its diagonal: no product of n x n matrices,
    # no identity matrix; the Hessian has the one product B^T diag(w) B.
    assert (
        "np.eye" not in evaluate_body(jac) and "einsum(" not in evaluate_body(jac).split("tanh")[-1]
    )
    assert evaluate_body(jac).count(" @ ") <= 1  # B @ x itself
    assert evaluate_body(hess).count(" @ ") + evaluate_body(hess).count("einsum(") <= 2


def test_batched_products_are_one_matrix_product():
    """Cotangents batched over n rows meet the matrix as (n, m) @ (m, k), never as n
    matrix-vector products (a 3-d operand of matmul)."""
    w = sg.var("w", shape=(4, N))
    jacobian = sg.jacobian(sg.sin(w @ X), X)
    products = [n for n in topological_order(optimize([jacobian])) if n.op.name == "matmul"]
    assert all(x.ndim <= 2 for n in products for x in n.inputs), "a stack of products"
    f = sg.compile(jacobian, inputs=[w, X])
    want = np.cos(B0[:4] @ X0)[:, None] * B0[:4]
    np.testing.assert_allclose(f(B0[:4], X0), want, rtol=1e-13)
    # forward mode (more rows than columns): tangents batched the other way
    tall = sg.var("tall", shape=(9, 3))
    v = sg.var("v", shape=(3,))
    g = sg.compile(sg.jacobian(sg.sin(tall @ v), v), inputs=[tall, v])
    t0, v0 = RNG.normal(size=(9, 3)), RNG.normal(size=3)
    np.testing.assert_allclose(g(t0, v0), np.cos(t0 @ v0)[:, None] * t0, rtol=1e-13)
    # a vector on the left, x @ B
    h = sg.compile(sg.jacobian(sg.sin(X @ B), X), inputs=[B, X])
    np.testing.assert_allclose(h(B0, X0), (np.cos(X0 @ B0)[None, :] * B0).T, rtol=1e-13)


def test_jacobians_of_matrices_and_batched_products():
    a = sg.var("a", shape=(3, 4))
    m = sg.var("m", shape=(2, 4, 5))
    y = sg.tanh(a @ m)  # (2, 3, 5), broadcast over m's batch
    a0, m0 = RNG.normal(size=(3, 4)), RNG.normal(size=(2, 4, 5))
    for wrt, x0, shape in [(a, a0, (3, 4)), (m, m0, (2, 4, 5))]:
        jac = sg.compile(sg.jacobian(y, wrt), inputs=[a, m])(a0, m0)
        assert jac.shape == (2, 3, 5) + shape
        step = 1e-6
        for index in [(0, 0), (2, 3)] if wrt is a else [(0, 1, 2), (1, 3, 4)]:
            hi, lo = x0.copy(), x0.copy()
            hi[index] += step
            lo[index] -= step
            args = (hi, m0) if wrt is a else (a0, hi)
            args_lo = (lo, m0) if wrt is a else (a0, lo)
            numeric = (np.tanh(args[0] @ args[1]) - np.tanh(args_lo[0] @ args_lo[1])) / (2 * step)
            np.testing.assert_allclose(jac[(...,) + index], numeric, rtol=1e-6, atol=1e-9)


def test_diagonal_rewrites_keep_nan_out_of_the_zeros():
    """A non-finite partial derivative stays in its row: the identity's zeros are not
    multiplied into 0 * inf = nan elsewhere."""
    y = sg.log(X) * X  # d/dx = log(x) + 1, -inf at 0 ... on the diagonal only
    jac = sg.compile(sg.jacobian(y, X))(np.array([0.0, 1.0, 2.0, 3.0, 4.0, 5.0]))
    with np.errstate(divide="ignore", invalid="ignore"):
        diagonal = np.log(np.arange(6.0)) + 1.0
    off = ~np.eye(6, dtype=bool)
    assert np.all(jac[off] == 0.0)
    np.testing.assert_array_equal(np.diag(jac)[1:], diagonal[1:])
