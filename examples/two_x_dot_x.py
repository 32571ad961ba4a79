"""y = 2 x.x at x = [0, 1, 2, 3]: dy/dx = 4x = [0, 4, 8, 12]."""

import numpy as np

import symgrad as sg

x = sg.var("x", shape=(4,))
y = 2 * sg.dot(x, x)
dy_dx = sg.grad(y, x)

f = sg.compile([y, dy_dx])
value, gradient = f(np.array([0.0, 1.0, 2.0, 3.0]))
print("y =", value, " dy/dx =", gradient)
assert np.array_equal(gradient, [0.0, 4.0, 8.0, 12.0])
print(sg.check_grad(y, x, {x: [0.0, 1.0, 2.0, 3.0]}))
