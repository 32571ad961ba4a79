"""The same compiled gradient called twice gives the same answer: a static graph needs no
retain_graph, and the compiled function keeps no state between calls."""

import numpy as np

import symgrad as sg

x = sg.var("x", shape=(3,))
loss = (sg.tanh(x) * x).sum()
f = sg.compile(sg.grad(loss, x))
a = np.array([0.5, -1.0, 2.0])
first, second = f(a), f(a)
print(first, second)
assert np.array_equal(first, second)
print(f.source)
