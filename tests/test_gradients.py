"""Derivatives of every op, against central finite differences; forward against reverse."""

import numpy as np
import pytest

import symgrad as sg
from symgrad.differentiate.derived import jacobian_forward, jacobian_reverse

from .gradcheck import numeric_jacobian
from .op_table import CASES

IDS = [c.name for c in CASES]


def _setup(case, seed=0):
    arrays = case.arrays(seed)
    xs = [sg.var(f"x{i}", shape=a.shape) for i, a in enumerate(arrays)]
    y = case.build(*xs)
    return arrays, xs, y


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_gradient_matches_finite_differences(case):
    arrays, xs, y = _setup(case)
    weights = np.random.default_rng(1).normal(size=y.shape)
    loss = (y * weights).sum()  # any output shape reduced with random weights
    f = sg.compile(loss, inputs=xs)
    grads = sg.compile(sg.grad(loss, xs), inputs=xs)(*arrays)
    for i, g in enumerate(grads):
        expected = numeric_jacobian(f, arrays, i)
        np.testing.assert_allclose(
            g, expected, rtol=1e-6, atol=1e-7, err_msg=f"{case.name}: d/dx{i}"
        )


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_forward_mode_matches_reverse_mode(case):
    """<w, J u> computed as <w, jvp(u)> and as <vjp(w), u>."""
    arrays, xs, y = _setup(case)
    rng = np.random.default_rng(2)
    us = [rng.normal(size=a.shape) for a in arrays]
    w = rng.normal(size=y.shape)
    forward = sg.jvp(y, xs, us)
    backward = sg.vjp(y, xs, w)
    jv, vjs = sg.compile([forward, backward], inputs=xs)(*arrays)
    left = float(np.sum(w * jv))
    right = float(sum(np.sum(v * u) for v, u in zip(vjs, us)))
    assert left == pytest.approx(right, rel=1e-10, abs=1e-12), case.name


@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_batched_jacobian_matches_finite_differences(case, mode):
    """Both Jacobian modes run every rule with a batch axis in front."""
    arrays, xs, y = _setup(case)
    build = jacobian_reverse if mode == "reverse" else jacobian_forward
    blocks = sg.compile(build(y, xs), inputs=xs)(*arrays)
    f = sg.compile(y, inputs=xs)
    for i, block in enumerate(blocks):
        np.testing.assert_allclose(
            block,
            numeric_jacobian(f, arrays, i),
            rtol=1e-6,
            atol=1e-7,
            err_msg=f"{case.name}: {mode} Jacobian block {i}",
        )


@pytest.mark.parametrize(
    "case", [c for c in CASES if c.smooth], ids=[c.name for c in CASES if c.smooth]
)
def test_second_derivatives(case):
    """Hessian-vector products (forward over reverse) against differences of gradients."""
    arrays, xs, y = _setup(case)
    rng = np.random.default_rng(3)
    weights = rng.normal(size=y.shape)
    loss = (y * weights).sum()
    x = xs[0]
    v = rng.normal(size=arrays[0].shape)
    hv = sg.compile(sg.hvp(loss, x, v), inputs=xs)(*arrays)
    g = sg.compile(sg.grad(loss, x), inputs=xs)
    expected = (
        numeric_jacobian(g, arrays, 0).reshape(x.shape + (-1,)) @ v.ravel()
        if x.ndim
        else numeric_jacobian(g, arrays, 0) * v
    )
    np.testing.assert_allclose(hv, expected, rtol=1e-5, atol=1e-6, err_msg=case.name)
