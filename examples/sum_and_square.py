"""y = sum(x) gives ones; y = x*x with cotangent ones gives 2x."""

import numpy as np

import symgrad as sg

x = sg.var("x", shape=(3,))
a = np.array([1.0, -2.0, 0.5])

ones = sg.grad(x.sum(), x)
twice = sg.grad(x * x, x, cotangent=np.ones(3))  # y is not a scalar: pass a cotangent
print("d sum(x)/dx =", ones.eval({x: a}))
print("vjp(x*x, ones) =", twice.eval({x: a}))
assert np.array_equal(ones.eval({x: a}), np.ones(3))
assert np.array_equal(twice.eval({x: a}), 2 * a)
