"""The vectorizable elementary functions for Numba kernels (symgrad.backends.numba_math).

Accuracy is measured in ulps of the exact value (mpmath at 40 digits); special values
must equal NumPy's. Each function runs inside a loop compiled the way a generated kernel is
(``fastmath={"reassoc", "contract"}``, ``error_model="numpy"``), so the tests also pin down
that a kernel's flags do not leak into the functions' error-free range reductions.
"""

from __future__ import annotations

import math
import re
import subprocess
import sys
import zlib

import numpy as np
import pytest

numba = pytest.importorskip("numba", reason="numba is not installed (pip install 'symgrad[numba]')")
mpmath = pytest.importorskip("mpmath")

from symgrad.backends import numba_math as vm  # noqa: E402

mpmath.mp.dps = 40

REFERENCE = {
    "sin": mpmath.sin,
    "cos": mpmath.cos,
    "tan": mpmath.tan,
    "exp": mpmath.exp,
    "expm1": mpmath.expm1,
    "log": mpmath.log,
    "log1p": mpmath.log1p,
    "tanh": mpmath.tanh,
    "sigmoid": lambda x: 1 / (1 + mpmath.exp(-x)),
}
# The bound each function is documented to meet in float64 (ulps of the exact result).
BOUND64 = {"sin": 1, "cos": 1, "exp": 1, "log": 1, "log1p": 1}
BOUND64.update(dict.fromkeys(["tan", "expm1", "tanh", "sigmoid"], 2.5))


def _kernel(fn):
    @numba.njit(fastmath={"reassoc", "contract"}, error_model="numpy")
    def apply(x):
        out = np.empty_like(x)
        for i in range(x.shape[0]):
            out[i] = fn(x[i])
        return out

    return apply


_KERNELS: dict[str, object] = {}


def run(name: str, x: np.ndarray) -> np.ndarray:
    if name not in _KERNELS:
        _KERNELS[name] = _kernel(getattr(vm, name))
    return _KERNELS[name](x)


def ulp_errors(name: str, x: np.ndarray, got: np.ndarray) -> np.ndarray:
    """|got - exact| in units of the last place of the exact value rounded to got's dtype."""
    errors = np.empty(len(x))
    for i, (xi, gi) in enumerate(zip(x.tolist(), got.tolist())):
        exact = REFERENCE[name](mpmath.mpf(xi))
        with np.errstate(over="ignore"):
            rounded = got.dtype.type(float(exact))
        if rounded == 0 or np.isinf(rounded):  # only the exact rounded value will do
            errors[i] = 0.0 if gi == rounded else math.inf
            continue
        unit = np.spacing(np.abs(rounded)).astype(np.float64)
        errors[i] = float(abs(mpmath.mpf(gi) - exact) / mpmath.mpf(float(unit)))
    return errors


def _inputs(name: str, count: int) -> np.ndarray:
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    sign = rng.choice([-1.0, 1.0], count)
    wide = sign * np.exp(rng.uniform(-700, 700, count))  # magnitudes over the whole range
    near = rng.uniform(-4, 4, count)
    if name in ("sin", "cos", "tan"):
        wide = sign * np.exp(rng.uniform(-700, math.log(vm.TRIG_LIMIT), count))
    elif name == "exp":
        wide = rng.uniform(-745, 709.7, count)
    elif name == "expm1":
        wide = np.concatenate([rng.uniform(-40, 709.7, count // 2), sign[: count // 2] * 1e-8])
    elif name == "log":
        wide, near = np.abs(wide), rng.uniform(0.5, 2.0, count)
    elif name == "log1p":
        wide, near = np.abs(wide), rng.uniform(-1.0, 1.0, count)
    elif name == "sigmoid":
        wide = rng.uniform(-745, 745, count)
    tiny = sign[: count // 4] * np.exp(rng.uniform(-744, -20, count // 4))  # subnormals included
    return np.concatenate([wide, near, tiny])


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_float64_within_stated_ulp_bound(name):
    x = _inputs(name, 1500)
    if name in ("log", "log1p"):
        x = np.abs(x)
    errors = ulp_errors(name, x, run(name, x))
    worst = int(np.argmax(errors))
    assert errors[worst] <= BOUND64[name], (
        f"{name}({x[worst]!r}) is {errors[worst]:.3f} ulp off (bound {BOUND64[name]})"
    )


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_float32_stays_float32_within_one_ulp(name):
    x = _inputs(name, 800)
    x = x[np.abs(x) < 1e30].astype(np.float32)
    if name in ("log", "log1p"):
        x = np.abs(x)
    got = run(name, x)
    assert got.dtype == np.float32
    errors = ulp_errors(name, x, got)
    worst = int(np.argmax(errors))
    assert errors[worst] <= 1.0, f"{name}(float32 {x[worst]!r}) is {errors[worst]:.3f} ulp off"


def test_trig_accurate_next_to_multiples_of_half_pi():
    # The hardest arguments for range reduction: the doubles nearest k*pi/2.
    ks = [1, 2, 3, 7, 355, 710, 103993, 2**20 + 1, 2**30 - 3, 6381956970, 2**39]
    x = []
    for k in ks:
        nearest = float(mpmath.mpf(k) * mpmath.pi / 2)
        x += [nearest, np.nextafter(nearest, 0.0), np.nextafter(nearest, np.inf)]
    x = np.array(x + [-v for v in x])
    for name in ("sin", "cos", "tan"):
        errors = ulp_errors(name, x, run(name, x))
        worst = int(np.argmax(errors))
        assert errors[worst] <= BOUND64[name], f"{name}({x[worst]!r}): {errors[worst]:.3f} ulp"


SPECIAL = [0.0, -0.0, np.inf, -np.inf, np.nan, 5e-324, -5e-324, 1e-310, -1e-310, 1e-300]
SPECIAL += [1.0, -1.0, 0.5, -30.0, 30.0, 709.78, 709.79, -745.1, -745.2, 1e300, -1e300]
SPECIAL += [1.7976931348623157e308, 2.0**39 + 1.0, -(2.0**39) - 1.0]


def _numpy(name, x):
    if name == "sigmoid":  # NumPy has no sigmoid: the reference is the exact value, rounded
        return np.array([float(REFERENCE[name](mpmath.mpf(v))) for v in x.tolist()], x.dtype)
    return getattr(np, name)(x)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_special_values_match_numpy(name, dtype):
    with np.errstate(over="ignore"):
        x = np.array(SPECIAL, dtype=dtype)
    if name in ("sin", "cos", "tan"):  # beyond TRIG_LIMIT: see the test below
        x = x[~((np.abs(x) >= vm.TRIG_LIMIT) & np.isfinite(x))]
    got = run(name, x)
    with np.errstate(all="ignore"):
        want = _numpy(name, x)
    for xi, g, w in zip(x, got, want):
        where = f"{name}({dtype.__name__} {xi!r}) = {g!r}, NumPy gives {w!r}"
        if np.isnan(w):
            assert np.isnan(g), where
        elif w == 0 or np.isinf(w):
            assert g == w and np.signbit(g) == np.signbit(w), where
        else:
            assert abs(g - w) <= 3 * np.spacing(abs(w)), where
            assert np.signbit(g) == np.signbit(w), where


def test_trig_beyond_the_limit_is_flagged_and_nan():
    x = np.array([vm.TRIG_LIMIT, -vm.TRIG_LIMIT, 1e300, np.inf, np.nan, vm.TRIG_LIMIT / 2])
    for name in ("sin", "cos", "tan"):
        got = run(name, x)
        assert np.isnan(got[:5]).all(), f"{name} beyond TRIG_LIMIT must be nan, got {got}"
        assert np.isfinite(got[5])

    @numba.njit
    def flags(x):
        return np.array([vm.trig_outside(v) for v in x])

    assert flags(x).tolist() == [True, True, True, False, False, False]
    assert vm.trig_outside(1e300) and not vm.trig_outside(np.inf)


def test_python_scalars_work_outside_numba():
    assert vm.sin(0.5) == pytest.approx(math.sin(0.5), rel=1e-15)
    assert isinstance(vm.exp(np.float32(1.0)), np.float32)
    assert vm.log(3) == pytest.approx(math.log(3), rel=1e-15)


def test_integer_arguments_compute_in_float64():
    @numba.njit
    def f(n):
        return vm.exp(n)

    assert f(2) == pytest.approx(math.exp(2), rel=1e-15)
    assert isinstance(f(2), float)


def test_kernel_loop_vectorizes():
    """The point of the module: the calling loop compiles to packed SIMD arithmetic, with
    no call into the C library (math.sin would leave one call per element)."""

    @numba.njit(fastmath={"reassoc", "contract"}, error_model="numpy")
    def fused(x, out):
        total = 0.0
        for i in range(x.shape[0]):
            v = vm.sin(x[i]) * vm.exp(x[i]) + vm.log1p(vm.tanh(x[i]) ** 2)
            out[i] = v
            total += v
        return total

    x = np.linspace(-3.0, 3.0, 1000)
    fused(x, np.empty_like(x))
    assembly = "\n".join(fused.inspect_asm().values())
    packed = re.findall(r"\bv?(?:fmadd\d+|mul|add|div)pd\b", assembly)
    assert len(packed) > 20, "expected packed-double arithmetic in the loop"
    assert not re.search(r"call\w*\s+\S*(sin|exp|log|tanh)", assembly), "a libm call is left"


def test_sin_and_cos_of_one_value_share_their_range_reduction():
    """A kernel that needs both (a value and its derivative) pays for one reduction: LLVM
    merges the identical inlined code, provided the value is loaded once."""
    flags = {"fastmath": {"reassoc", "contract"}, "error_model": "numpy"}

    @numba.njit(**flags)
    def sin_only(x, a, b):
        for i in range(x.shape[0]):
            a[i] = vm.sin(x[i])

    @numba.njit(**flags)
    def sin_and_cos(x, a, b):
        for i in range(x.shape[0]):
            v = x[i]
            a[i] = vm.sin(v)
            b[i] = vm.cos(v)

    def roundings(kernel):
        x = np.ones(64)
        kernel(x, np.empty(64), np.empty(64))
        assembly = "\n".join(kernel.inspect_asm().values())
        return len(re.findall(r"\bv?(?:rndscale|round)[ps]d\b", assembly))

    assert roundings(sin_only) > 0
    assert roundings(sin_and_cos) == roundings(sin_only)


def test_importing_symgrad_does_not_import_numba():
    code = "import sys, symgrad; assert 'numba' not in sys.modules, 'numba was imported'"
    subprocess.run([sys.executable, "-c", code], check=True)
