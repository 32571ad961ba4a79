"""o = mean(3 (x + 2)^2) on a 2x2 of ones: do/dx = 4.5 everywhere."""

import numpy as np

import symgrad as sg

x = sg.var("x", shape=(2, 2))
o = sg.mean(3 * (x + 2) ** 2)
do_dx = sg.grad(o, x).eval({x: np.ones((2, 2))})
print("do/dx =\n", do_dx)
assert np.allclose(do_dx, 4.5)
