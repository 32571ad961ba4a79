"""u = stop_gradient(x*x); z = u*x: dz/dx = u (u is a constant to the derivative)."""

import numpy as np

import symgrad as sg

x = sg.var("x", shape=(3,))
u = sg.detach(x * x)
z = (u * x).sum()
a = np.array([1.0, 2.0, 3.0])
dz_dx = sg.grad(z, x).eval({x: a})
print("dz/dx =", dz_dx, " u =", a * a)
assert np.array_equal(dz_dx, a * a)
