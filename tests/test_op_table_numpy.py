"""Every op-table row that says how NumPy computes it (``numpy=``): the compiled value has
NumPy's dtype, shape and values, in float32 and float64. Rows written in NumPy style
(``np.sort(x)``) build their graph through NumPy's dispatch protocols and compute the
reference from the same code on arrays."""

import numpy as np
import pytest

import symgrad as sg

from .op_table import CASES

TOLERANCE = {
    np.dtype("float32"): dict(rtol=1e-5, atol=1e-6),
    np.dtype("float64"): dict(rtol=1e-12, atol=1e-13),
}
ROWS = [c for c in CASES if c.numpy is not None]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", ROWS, ids=[c.name for c in ROWS])
def test_value_matches_numpy(case, dtype):
    dtype = np.dtype(dtype)
    arrays = [np.asarray(a).astype(dtype) for a in case.arrays()]
    xs = [sg.var(f"x{i}", shape=a.shape, dtype=dtype) for i, a in enumerate(arrays)]
    got = np.asarray(sg.compile(case.build(*xs), inputs=xs)(*arrays))
    expected = np.asarray(case.numpy(*arrays))
    assert got.dtype == expected.dtype, f"{case.name}: dtype {got.dtype}, NumPy {expected.dtype}"
    assert got.shape == expected.shape, f"{case.name}: shape {got.shape}, NumPy {expected.shape}"
    np.testing.assert_allclose(got, expected, **TOLERANCE[dtype], err_msg=case.name)


def test_rows_check_values_against_numpy():
    assert len(ROWS) >= 60  # the NumPy-style rows, and the rows with a NumPy reference
