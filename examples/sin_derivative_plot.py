"""d/dx sin(x) on [-5, 5] equals cos(x), computed without writing cos; plot both.

Writes sin_derivative.png (pip install 'symgrad[examples]' for matplotlib); the values are
checked either way.
"""

import sys

import numpy as np

import symgrad as sg

x = sg.var("x", shape=("n",))
y = sg.sin(x)
dy_dx = sg.grad(y.sum(), x)  # sum: each y_i depends only on x_i, so this is dy_i/dx_i

points = np.linspace(-5, 5, 201)
values, derivative = sg.compile([y, dy_dx])(points)
assert np.allclose(derivative, np.cos(points), atol=1e-15)
print("max |d/dx sin(x) - cos(x)| =", np.max(np.abs(derivative - np.cos(points))))

try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    print("matplotlib is not installed: pip install 'symgrad[examples]' to draw the plot")
    sys.exit(0)

path = sys.argv[1] if len(sys.argv) > 1 else "sin_derivative.png"
fig, ax = plt.subplots(figsize=(7, 4))
ax.plot(points, values, label="sin(x)")
ax.plot(points, derivative, label="symgrad: d/dx sin(x)")
ax.plot(points[::10], np.cos(points[::10]), "o", ms=4, label="cos(x), for reference")
ax.legend()
ax.set_xlabel("x")
fig.tight_layout()
fig.savefig(path, dpi=100)
print("wrote", path)
