"""Complex numbers: values against NumPy, and the derivative convention for real-valued
losses of complex inputs (autograd's and JAX's): the gradient is dL/dx - i dL/dy for
z = x + iy, checked by finite differences that perturb the real and imaginary parts."""

import importlib.util

import numpy as np
import pytest
import sympy

import symgrad as sg
from symgrad.ops import matrices

RNG = np.random.default_rng(11)
Z = RNG.uniform(0.3, 1.2, 4) + 1j * RNG.uniform(-1.0, 1.0, 4)
W = RNG.uniform(0.3, 1.2, 4) + 1j * RNG.uniform(0.2, 1.0, 4)
C = np.array([0.5 - 1.5j, 2.0 + 0.25j, -1.0 + 1.0j, 0.75j])


def _tall(z, w):
    """A 3 x 2 complex matrix of z and w with well-separated singular values (near 3 and
    1.5); float32 offsets keep complex64 complex64."""
    offset = np.array([[3.0, 0.0], [0.0, 1.5], [0.0, 0.0]], dtype=np.float32)
    return np.stack([z[:3], w[1:]], axis=-1) * 0.3 + offset


def _square(z, w):
    """A 2 x 2 complex matrix of z, invertible, with distinct singular values."""
    return z.reshape(2, 2) * 0.3 + np.diag(np.array([3.0, 1.5], dtype=np.float32)) + w[0] * 0.1


def _svd_phase_free(z, w):
    """What of a complex SVD does not depend on the free phase of each pair of singular
    vectors: the singular values, |U|, U S^2 V^H and V V^H (tall)."""
    u, s, vh = np.linalg.svd(_tall(z, w), full_matrices=False)
    products = [(u * s**2) @ vh, vh.conj().T @ vh * w[0]]
    return np.concatenate([s * z[:2], np.abs(u).ravel()] + [p.ravel() for p in products])


def _svd_wide_square(z, w):
    """The phase-free functions of the SVD of a wide and of a square matrix."""
    u, s, vh = np.linalg.svd(_tall(z, w).T, full_matrices=False)
    square = np.linalg.svd(_square(z, w))
    parts = [(u * s) @ vh * z[0], np.abs(vh), u @ u.conj().T, (square.U * square.S) @ square.Vh]
    return np.concatenate([p.ravel() for p in parts] + [np.linalg.svdvals(_square(w, z))])


def _spectral_norms(z, w):
    a = _tall(z, w)
    norms = [np.linalg.norm(a, 2), np.linalg.norm(a.T, -2) * z[0], np.linalg.norm(a, "nuc")]
    return np.stack(norms) * w[1]


def _qr(z, w):
    """Q and R themselves: R's diagonal is real, so they have no free phase."""
    q, r = np.linalg.qr(_tall(z, w))
    wide_q, wide_r = np.linalg.qr(_tall(w, z).T)
    parts = [q, r, wide_q, wide_r, np.linalg.qr(_square(z, w), mode="r")]
    return np.concatenate([p.ravel() for p in parts])


def _pinv(z, w):
    return np.concatenate([np.linalg.pinv(_tall(z, w)).ravel(), np.linalg.pinv(_tall(w, z).T)[0]])


def _slogdet(z, w):
    """The complex sign det / |det| and the real logabsdet, of one and of a stack."""
    sign, logabsdet = np.linalg.slogdet(_square(z, w))
    signs, logabsdets = np.linalg.slogdet(np.stack([_square(w, z), _square(z, z)]))
    return np.concatenate([np.stack([sign * w[2], logabsdet * w[3]]), signs, logabsdets * z[1]])


def _lstsq(z, w):
    """Solution, residuals and singular values (rank has no derivative), tall and wide."""
    x, residuals, _, s = np.linalg.lstsq(_tall(z, w), np.stack([w[:3], z[1:]], axis=-1))
    wide_x = np.linalg.lstsq(_tall(w, z).T, z[2:])[0]
    return np.concatenate([x.ravel(), residuals * w[0], s * z[0], wide_x])


# Functions of complex arrays, written once for NumPy and for expressions.
ELEMENTWISE = {
    "add_multiply": lambda z, w: (z + w) * z - 2.0 * w,
    "divide": lambda z, w: z / w,
    "exp_log": lambda z, w: np.exp(z) + np.log(w),
    "sin_cos_tan": lambda z, w: np.sin(z) * np.cos(w) + np.tan(z),
    "sinh_cosh_tanh": lambda z, w: np.sinh(z) + np.cosh(w) * np.tanh(z),
    "sqrt_square": lambda z, w: np.sqrt(w) + np.square(z),
    "power": lambda z, w: z**3 + z**2.5 + np.power(w, z),
    "reciprocal_negative": lambda z, w: np.reciprocal(w) - z,
    "real_imag_conj": lambda z, w: np.real(z) * w + np.imag(w) * z + np.conj(z) * np.conjugate(w),
    "abs_angle": lambda z, w: np.abs(z) + np.angle(w) * z,
    "mixed_constant": lambda z, w: z * C + w.conj() * 1j,
}
REDUCTIONS = {
    "sum_mean": lambda z, w: np.sum(z * w) + np.mean(w),
    "matmul": lambda z, w: np.outer(z, w) @ w,
    "dot": lambda z, w: np.dot(z, w) + np.vdot(z, w),
    "prod_cumsum": lambda z, w: np.prod(z) + np.cumsum(w),
    "concatenate_reshape": lambda z, w: np.concatenate([z, w]).reshape(2, 4).T,
    "fft_ifft": lambda z, w: np.fft.fft(z * w) + np.fft.ifft(z, n=6)[:4],
    "fft2_ifftn": lambda z, w: np.fft.fft2(z.reshape(2, 2)) * np.fft.ifftn(w.reshape(2, 2)),
    "irfft_of_complex": lambda z, w: np.fft.irfft(z, n=7) * np.fft.irfft(w)[0],
    "inv_det_solve": lambda z, w: (
        np.linalg.inv(z.reshape(2, 2) + 3.0 * np.eye(2)) @ w[:2] * np.linalg.det(w.reshape(2, 2))
        + np.linalg.solve(z.reshape(2, 2) + 3.0 * np.eye(2), w[2:])
    ),
    "eigvals": lambda z, w: np.linalg.eigvals(z.reshape(2, 2) + np.diag([0.0, 3.0])) * w[:2],
}
# The decompositions whose rules conjugate (the SVD's only through phase-free functions).
DECOMPOSITIONS = {
    "svd": _svd_phase_free,
    "svd_wide_square": _svd_wide_square,
    "spectral_norms": _spectral_norms,
    "qr": _qr,
    "pinv": _pinv,
    "slogdet": _slogdet,
    "lstsq": _lstsq,
}
FUNCTIONS = {**ELEMENTWISE, **REDUCTIONS, **DECOMPOSITIONS}


def _vars(dtype):
    return sg.var("z", shape=(4,), dtype=dtype), sg.var("w", shape=(4,), dtype=dtype)


@pytest.mark.parametrize("dtype", ["complex64", "complex128"])
@pytest.mark.parametrize("name", FUNCTIONS)
def test_values_match_numpy(name, dtype):
    f = FUNCTIONS[name]
    z, w = _vars(dtype)
    y = f(z, w)
    assert isinstance(y, sg.Expr)
    a, b = Z.astype(dtype), W.astype(dtype)
    expected = np.asarray(f(a, b))
    got = np.asarray(sg.compile(y, inputs=[z, w])(a, b))
    assert got.dtype == expected.dtype and got.shape == expected.shape
    tol = dict(rtol=2e-5, atol=1e-6) if dtype == "complex64" else dict(rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(got, expected, **tol)


def _real_loss(f):
    """A real-valued loss of the function's complex output (not holomorphic)."""

    def loss(z, w):
        y = f(z, w)
        return np.sum(np.real(y) * 0.7 + np.imag(y) * 1.3 + np.abs(y) ** 2 * 0.1)

    return loss


def _wirtinger_fd(loss, arrays, index, eps=1e-6):
    """dL/dx - i dL/dy for the array at ``index``, by central differences of its real and
    imaginary parts."""
    out = np.zeros(arrays[index].shape, complex)
    for i in np.ndindex(*arrays[index].shape):
        parts = []
        for step in (eps, 1j * eps):
            hi = [a.copy() for a in arrays]
            lo = [a.copy() for a in arrays]
            hi[index][i] += step
            lo[index][i] -= step
            parts.append((loss(*hi) - loss(*lo)) / (2 * eps))
        out[i] = parts[0] - 1j * parts[1]
    return out


@pytest.mark.parametrize("name", FUNCTIONS)
def test_gradient_of_a_real_loss_matches_finite_differences(name):
    loss = _real_loss(FUNCTIONS[name])
    z, w = _vars("complex128")
    y = loss(z, w)
    assert y.dtype == np.float64
    grads = sg.compile(sg.grad(y, [z, w]), inputs=[z, w])(Z, W)
    for i, g in enumerate(grads):
        assert g.dtype == np.complex128
        np.testing.assert_allclose(
            g, _wirtinger_fd(loss, [Z, W], i), rtol=1e-6, atol=1e-7, err_msg=f"{name} d/d{i}"
        )


def test_the_convention_is_autograds_and_jaxs():
    """For L = |z|^2 = x^2 + y^2: dL/dx - i dL/dy = 2x - 2iy = 2 conj(z) (PyTorch returns
    its conjugate, 2z)."""
    z = sg.var("z", dtype="complex128")
    g = sg.grad(np.abs(z) ** 2, z)
    assert complex(g.eval({z: 3.0 + 4.0j})) == pytest.approx(6.0 - 8.0j)


def test_descent_steps_along_the_conjugate_of_the_gradient():
    target = np.array([1.0 - 2.0j, -0.5 + 0.5j])
    z = sg.var("z", shape=(2,), dtype="complex128")
    loss = np.sum(np.abs(z - target) ** 2)
    f = sg.compile([loss, sg.grad(loss, z)])
    point = np.zeros(2, complex)
    values = []
    for _ in range(20):
        value, g = f(point)
        values.append(value)
        point = point - 0.1 * np.conj(g)
    assert all(b < a for a, b in zip(values, values[1:]))
    np.testing.assert_allclose(point, target, atol=0.05)
    # Without the conjugate the imaginary parts move the wrong way: the loss grows.
    value, g = f(np.zeros(2, complex))
    assert f(-0.1 * g)[0] > value


@pytest.mark.parametrize(
    "f, derivative",
    [
        (lambda z: z**3, lambda z: 3 * z**2),
        (np.sin, np.cos),
        (np.exp, np.exp),
        (lambda z: 1.0 / z, lambda z: -1.0 / z**2),
    ],
)
def test_holomorphic_derivative_is_a_vjp_with_cotangent_one(f, derivative):
    z = sg.var("z", shape=(4,), dtype="complex128")
    d = sg.vjp(f(z), z, np.ones(4, complex))
    np.testing.assert_allclose(d.eval({z: Z}), derivative(Z), rtol=1e-12)


def test_real_parameters_of_a_complex_computation_get_real_gradients():
    x = sg.var("x", shape=(4,))
    loss = np.sum(np.abs(x * C + 1.0j) ** 2)
    g = sg.grad(loss, x)
    assert g.dtype == np.float64
    xs = np.linspace(-1.0, 1.0, 4)

    def reference(v):
        return np.sum(np.abs(v * C + 1.0j) ** 2)

    fd = [(reference(xs + e) - reference(xs - e)) / 2e-6 for e in np.eye(4) * 1e-6]
    np.testing.assert_allclose(g.eval({x: xs}), fd, rtol=1e-6)


@pytest.mark.parametrize("name", FUNCTIONS)
def test_forward_mode_matches_finite_differences(name):
    f = FUNCTIONS[name]
    z, w = _vars("complex128")
    tz, tw = RNG.normal(size=4) + 1j * RNG.normal(size=4), RNG.normal(size=4) * 1j
    t = sg.jvp(f(z, w), [z, w], [tz, tw]).eval({z: Z, w: W})
    eps = 1e-6
    fd = (np.asarray(f(Z + eps * tz, W + eps * tw)) - np.asarray(f(Z - eps * tz, W - eps * tw))) / (
        2 * eps
    )
    np.testing.assert_allclose(t, fd, rtol=1e-6, atol=1e-7)


def test_second_derivatives_of_a_real_loss():
    z = sg.var("z", shape=(3,), dtype="complex128")
    loss = np.sum(np.abs(np.exp(z)) ** 2)  # = sum(exp(2x))
    g = sg.grad(loss, z)  # 2 exp(2x): real
    h = sg.grad(np.sum(np.real(g)), z)  # d/dx of 2 exp(2x) = 4 exp(2x)
    point = np.array([0.1 + 1j, -0.2, 0.3 - 0.5j])
    np.testing.assert_allclose(h.eval({z: point}), 4 * np.exp(2 * point.real), rtol=1e-12)


def test_second_derivatives_through_the_modulus():
    """|z|'s reverse rule is conj(z) / |z|, which varies with z: for L = |z|^2 the gradient
    2 conj(z) has d Re(c g) = 2 conj(c), and for L = |z| the FD reference."""
    z = sg.var("z", dtype="complex128")
    c = 0.5 - 1.0j
    h = sg.grad(np.real(sg.grad(np.abs(z) ** 2, z) * c), z)
    assert complex(h.eval({z: 1 + 2j})) == pytest.approx(2 * np.conj(c))
    h = sg.grad(np.real(sg.grad(np.abs(z), z) * c), z)

    def phi(v):
        return np.real(c * np.conj(v) / np.abs(v))

    expected = _wirtinger_fd(lambda v: phi(v[()]), [np.array(1 + 2j)], 0)
    assert complex(h.eval({z: 1 + 2j})) == pytest.approx(complex(expected), rel=1e-6)


def test_a_real_node_under_a_selection_gets_a_real_cotangent():
    """c * |z| selected by where: the real |z| gets Re(c) (as without the selection), so
    the gradient of Re(c |z|) is Re(c) conj(z) / |z| where selected, 0 elsewhere."""
    z = sg.var("z", shape=(2,), dtype="complex128")
    c = 0.5 - 1.0j
    loss = np.sum(np.real(np.where(np.array([True, False]), c * np.abs(z), 0)))
    point = np.array([1 + 2j, 1j])
    expected = [0.5 * np.conj(point[0]) / np.abs(point[0]), 0.0]
    np.testing.assert_allclose(sg.grad(loss, z).eval({z: point}), expected, rtol=1e-12)


def test_constants_and_literals_keep_their_values():
    z = sg.var("z", dtype="complex64")
    y = z * (1 + 2j) + np.complex64(np.nan + 1j) * 0 + sg.const(np.array([1j, -1j], np.complex64))
    assert y.dtype == np.complex64
    got = sg.compile(y)(np.complex64(2 - 1j))
    expected = (
        np.complex64(2 - 1j) * (1 + 2j)
        + np.complex64(np.nan + 1j) * 0
        + np.array([1j, -1j], np.complex64)
    )
    np.testing.assert_array_equal(got, expected.astype(np.complex64))


def test_saved_module_and_graph_file_keep_complex_values(tmp_path):
    z = sg.var("z", shape=(4,), dtype="complex128")
    loss = np.sum(np.abs(z * C) ** 2)
    f = sg.compile([loss, sg.grad(loss, z)])
    path = tmp_path / "complex_module.py"
    f.save(path)
    spec = importlib.util.spec_from_file_location("complex_module", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for got, expected in zip(module.evaluate(Z), f(Z)):
        np.testing.assert_array_equal(got, expected)
    sg.save_graph([loss], tmp_path / "g.json")
    (loaded,) = sg.load_graph(tmp_path / "g.json")
    again = sg.compile(loaded)
    assert float(again(Z)) == pytest.approx(float(f(Z)[0]), rel=1e-14)


def test_binding_refuses_complex_data_for_a_real_input():
    x = sg.var("x", shape=(2,))
    f = sg.compile(x * 2.0)
    with pytest.raises(sg.BindError, match="input 'x' expects float64"):
        f(np.array([1j, 2.0]))
    z = sg.var("z", shape=(2,), dtype="complex128")
    np.testing.assert_array_equal(sg.compile(z * 2.0)([1.0, 2.0]), [2.0, 4.0])


def test_sympy_uses_complex_symbols():
    z = sg.var("z", dtype="complex128")
    expr = sg.to_sympy(np.real(z * np.conj(z)) + np.abs(z))
    (symbol,) = expr.free_symbols
    assert symbol.is_complex and not symbol.is_real
    value = 3 + 4j
    assert complex(expr.subs(symbol, value)) == pytest.approx(25 + 5)
    assert sympy.simplify(expr - (sympy.Abs(symbol) ** 2 + sympy.Abs(symbol))) == 0


def test_a_complex_output_needs_a_cotangent_or_a_real_loss():
    z = sg.var("z", dtype="complex128")
    with pytest.raises(TypeError, match="complex.*real"):
        sg.grad(z * z, z)


def test_check_grad_compares_complex_gradients_with_sympy_and_finite_differences():
    z = sg.var("z", shape=(2,), dtype="complex128")
    x = sg.var("x")
    loss = np.sum(np.abs(z * z + x) ** 2) + np.real(np.exp(z[0]) * 1j) * x
    report = sg.check_grad(loss, [z, x], {z: np.array([0.5 + 1j, -1.0 + 0.25j]), x: 0.75})
    assert report.ok, str(report)
    check = report.variables[0]
    assert check.sympy is not None and check.gradient.dtype == np.complex128
    # SymPy's reference is d/dx - i d/dy of the loss, like the gradient it is compared with
    np.testing.assert_allclose(check.sympy.reference, check.gradient, rtol=1e-10)
    np.testing.assert_allclose(check.finite_differences.reference, check.gradient, rtol=1e-6)


def test_a_python_complex_beside_a_real_array_makes_it_complex():
    x = sg.var("x", shape=(2,), dtype="float32")
    y = x + 1j
    assert y.dtype == np.complex64  # NumPy 2: the Python complex is weak
    np.testing.assert_array_equal(y.eval({x: np.ones(2, np.float32)}), np.ones(2) + 1j)


def test_eig_values_and_phase_free_functions_of_its_eigenvectors():
    z = sg.var("z", shape=(3, 3), dtype="complex128")
    rng = np.random.default_rng(5)
    value = rng.uniform(-1, 1, (3, 3)) + 1j * rng.uniform(-1, 1, (3, 3)) + np.diag([0, 3, 6])
    w, v = np.linalg.eig(z)
    got_w, got_v = sg.compile([w, v])(value)
    expected = np.linalg.eig(value)
    np.testing.assert_allclose(got_w, expected.eigenvalues, rtol=1e-12)
    np.testing.assert_allclose(got_v, expected.eigenvectors, rtol=1e-12, atol=1e-14)

    weights = rng.normal(size=(3, 3))

    def loss(m):  # |v| does not depend on each eigenvector's phase
        result = np.linalg.eig(m)
        return np.sum(np.abs(result.eigenvectors) * weights) + np.sum(np.abs(result.eigenvalues))

    g = sg.compile(sg.grad(loss(z), z))(value)
    np.testing.assert_allclose(g, _wirtinger_fd(loss, [value], 0), rtol=1e-6, atol=1e-7)


def test_eigenvector_derivatives_of_symbolic_sizes_name_the_op():
    """The eigenvector rule builds an n x n constant: a symbolic n is refused by name."""
    a = sg.var("a", shape=("n", "n"))
    _, v = sg.linalg.eig(a)
    with pytest.raises(sg.ShapeError, match=r"eig: needs known sizes.*\(n,\)"):
        sg.grad(sg.abs(v).sum(), a)


def test_a_linalg_function_without_complex_rules_refuses_complex_matrices():
    """Every np.linalg function symgrad has takes complex matrices; one added without
    complex rules is refused by name until it is listed as ready."""
    assert {"svd", "qr", "lstsq", "pinv", "slogdet"} <= matrices.COMPLEX_READY
    with pytest.raises(TypeError, match="matrix_rank: complex matrices are not supported yet"):
        matrices.linalg_dtype("matrix_rank", np.dtype("complex128"))


@pytest.mark.parametrize("name", DECOMPOSITIONS)
def test_forward_and_reverse_mode_of_decompositions_agree(name):
    """The JVP along (tz, tw) is the real pairing Re(sum(g * t)) of the gradient with it."""
    loss = _real_loss(DECOMPOSITIONS[name])
    z, w = _vars("complex128")
    y = loss(z, w)
    tz, tw = RNG.normal(size=4) + 1j * RNG.normal(size=4), RNG.normal(size=4) - 0.5j
    f = sg.compile([sg.jvp(y, [z, w], [tz, tw]), *sg.grad(y, [z, w])], inputs=[z, w])
    forward, gz, gw = f(Z, W)
    assert float(forward) == pytest.approx(np.real(np.sum(gz * tz) + np.sum(gw * tw)), rel=1e-10)


@pytest.mark.parametrize("name", DECOMPOSITIONS)
def test_second_derivatives_of_decompositions_match_finite_differences(name):
    """The gradient of a real function of the gradient, against central differences of
    the compiled gradient."""
    loss = _real_loss(DECOMPOSITIONS[name])
    z, w = _vars("complex128")
    g = sg.grad(loss(z, w), z)
    weights = np.array([0.5 - 1.0j, 1.5j, -0.75, 1.0 + 0.25j])
    first = sg.compile(g, inputs=[z, w])

    def outer(a, b):
        return np.real(np.sum(np.asarray(first(a, b)) * weights))

    second = sg.compile(sg.grad(np.real(np.sum(g * weights)), z), inputs=[z, w])(Z, W)
    np.testing.assert_allclose(second, _wirtinger_fd(outer, [Z, W], 0), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", DECOMPOSITIONS)
def test_decomposition_gradients_survive_save_and_load(name, tmp_path):
    loss = _real_loss(DECOMPOSITIONS[name])
    z, w = _vars("complex128")
    y = loss(z, w)
    grads = sg.grad(y, [z, w])
    f = sg.compile([y, *grads], inputs=[z, w])
    expected = f(Z, W)
    path = tmp_path / f"{name}_module.py"
    f.save(path)
    spec = importlib.util.spec_from_file_location(f"{name}_module", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for got, want in zip(module.evaluate(Z, W), expected):
        np.testing.assert_array_equal(got, want)
    sg.save_graph(grads, tmp_path / "g.json")
    loaded = sg.load_graph(tmp_path / "g.json")
    for got, want in zip(sg.compile(loaded)(z=Z, w=W), expected[1:]):
        np.testing.assert_array_equal(got, want)


def test_real_matrices_of_complex_least_squares_get_real_gradients():
    """lstsq of a real a and a complex b: a's gradient is the real part of the complex
    one, and matches central differences of a's entries."""
    a = sg.var("a", shape=(3, 2))
    b = sg.var("b", shape=(3,), dtype="complex128")
    a0 = np.array([[3.0, 0.2], [0.1, 1.5], [-0.3, 0.4]])
    b0 = Z[:3]

    def loss(m, v):
        x, residuals, _, s = np.linalg.lstsq(m, v)
        return np.sum(np.abs(x * (1.0 + 2.0j)) ** 2) + 0.5 * residuals[0] + np.sum(s**2)

    ga, gb = sg.compile(sg.grad(loss(a, b), [a, b]), inputs=[a, b])(a0, b0)
    assert ga.dtype == np.float64 and gb.dtype == np.complex128
    fd = np.zeros_like(a0)
    for i in np.ndindex(*a0.shape):
        step = np.zeros_like(a0)
        step[i] = 1e-6
        fd[i] = (loss(a0 + step, b0) - loss(a0 - step, b0)) / 2e-6
    np.testing.assert_allclose(ga, fd, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(gb, _wirtinger_fd(loss, [a0, b0.copy()], 1), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("function", [sg.erf, sg.erfc, sg.sigmoid, sg.softplus])
def test_functions_of_real_numbers_refuse_complex_values_when_built(function):
    z = sg.var("z", shape=(2,), dtype="complex128")
    with pytest.raises(TypeError, match="real numbers only"):
        function(z)


def test_logsumexp_and_softmax_of_complex_values_follow_their_formulas():
    z = sg.var("z", shape=(3,), dtype="complex128")
    value = np.array([0.3 + 0.4j, -0.5 + 0.1j, 1.2 - 0.7j])
    total = np.log(np.sum(np.exp(value)))
    np.testing.assert_allclose(sg.logsumexp(z).eval({z: value}), total, rtol=1e-12)
    np.testing.assert_allclose(
        sg.softmax(z).eval({z: value}), np.exp(value) / np.sum(np.exp(value)), rtol=1e-12
    )


def test_eigh_of_hermitian_matrices_along_hermitian_directions():
    """eigh reads one triangle; its derivative is that of the Hermitian matrix (the
    symmetric convention of docs/differentiation.md): compared along Hermitian directions."""
    rng = np.random.default_rng(4)
    m = rng.normal(size=(3, 3)) + 1j * rng.normal(size=(3, 3))
    point = m + m.conj().T + np.diag([0.0, 4.0, 8.0])
    weights = rng.normal(size=(3, 3))

    def loss(a):
        values, vectors = np.linalg.eigh(a)
        return np.sum(values * np.array([1.0, 2.0, 3.0])) + np.sum(np.abs(vectors) * weights)

    z = sg.var("z", shape=(3, 3), dtype="complex128")
    values, vectors = np.linalg.eigh(z)
    assert values.dtype == np.float64 and vectors.dtype == np.complex128
    y = loss(z)
    g = sg.compile(sg.grad(y, z))(point)
    np.testing.assert_allclose(g, g.conj().T, atol=1e-12)  # Hermitian, like the input
    eps = 1e-6
    for _ in range(3):
        t = rng.normal(size=(3, 3)) + 1j * rng.normal(size=(3, 3))
        t = t + t.conj().T
        fd = (loss(point + eps * t) - loss(point - eps * t)) / (2 * eps)
        assert np.real(np.sum(g * t)) == pytest.approx(fd, rel=1e-6)
        assert float(sg.jvp(y, z, t).eval({z: point})) == pytest.approx(fd, rel=1e-6)


@pytest.mark.parametrize("upper", [False, True])
def test_cholesky_of_hermitian_matrices_along_hermitian_directions(upper):
    rng = np.random.default_rng(6)
    m = rng.normal(size=(3, 3)) + 1j * rng.normal(size=(3, 3))
    point = m @ m.conj().T + 3.0 * np.eye(3)
    weights = rng.normal(size=(3, 3)) + 1j * rng.normal(size=(3, 3))

    def loss(a):
        factor = np.linalg.cholesky(a, upper=upper)
        return np.sum(np.real(factor * weights)) + 0.3 * np.sum(np.abs(factor) ** 2)

    z = sg.var("z", shape=(3, 3), dtype="complex128")
    factor = np.linalg.cholesky(z, upper=upper)
    np.testing.assert_allclose(
        factor.eval({z: point}), np.linalg.cholesky(point, upper=upper), rtol=1e-12
    )
    y = loss(z)
    g = sg.compile(sg.grad(y, z))(point)
    eps = 1e-6
    for _ in range(3):
        t = rng.normal(size=(3, 3)) + 1j * rng.normal(size=(3, 3))
        t = t + t.conj().T
        fd = (loss(point + eps * t) - loss(point - eps * t)) / (2 * eps)
        assert np.real(np.sum(g * t)) == pytest.approx(fd, rel=1e-6)
        assert float(sg.jvp(y, z, t).eval({z: point})) == pytest.approx(fd, rel=1e-6)


def test_check_grad_compares_complex_slogdet_with_sympy():
    """The sign of a complex matrix's determinant is det / |det| in SymPy too, so its
    derivative is compared with SymPy's, not only with finite differences."""
    z = sg.var("z", shape=(2, 2), dtype="complex128")
    sign, logabsdet = np.linalg.slogdet(z)
    point = np.array([[2.0 + 1.0j, 0.5], [0.25j, 1.5 - 0.5j]])
    report = sg.check_grad(logabsdet + np.real(sign * (1.0 + 2.0j)), z, {z: point})
    assert report.ok, str(report)
    check = report.variables[0]
    assert check.sympy is not None, str(report)
    np.testing.assert_allclose(check.sympy.reference, check.gradient, rtol=1e-10)


def test_svd_tangents_hold_the_right_singular_vectors_phase():
    """The documented gauge: V^H dV has a zero diagonal (each right singular vector keeps
    its norm and phase), and U S V^H moves exactly as the matrix does."""
    a = sg.var("a", shape=(3, 2), dtype="complex128")
    rng = np.random.default_rng(8)
    point = _tall(*(rng.normal(size=(2, 4)) + 1j * rng.normal(size=(2, 4))))
    t = rng.normal(size=(3, 2)) + 1j * rng.normal(size=(3, 2))
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    d_vh, d_product = sg.compile([sg.jvp(vh, a, t), sg.jvp((u * s) @ vh, a, t)])(point)
    vh_value = np.linalg.svd(point, full_matrices=False).Vh
    np.testing.assert_allclose(np.diagonal(vh_value @ d_vh.conj().T), 0, atol=1e-12)
    np.testing.assert_allclose(d_product, t, rtol=1e-12, atol=1e-12)
