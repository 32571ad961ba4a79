"""The second derivative of sin is -sin; the Hessian of x^T A x is A + A^T."""

import numpy as np

import symgrad as sg

x = sg.var("x", shape=(5,))
first = sg.grad(sg.sin(x).sum(), x)
second = sg.grad(first.sum(), x)  # a derivative is a graph: differentiate it again
a = np.linspace(-2, 2, 5)
print("d2/dx2 sin(x) =", second.eval({x: a}))
assert np.allclose(second.eval({x: a}), -np.sin(a))

A = np.array([[1.0, 2.0, 0.0], [0.0, 3.0, -1.0], [4.0, 0.0, 1.0]])
v = sg.var("v", shape=(3,))
H = sg.hessian(v @ A @ v, v).eval({v: np.ones(3)})
print("Hessian of v^T A v =\n", H)
assert np.allclose(H, A + A.T)
