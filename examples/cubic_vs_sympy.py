"""d/dx (4x^3 + x^2 + 3) = 12x^2 + 2x, equal to SymPy's derivative."""

import sympy

import symgrad as sg

x = sg.var("x")
y = 4 * x**3 + x**2 + 3
dy = sg.grad(y, x)

t = sympy.Symbol("x")  # the symbol to_sympy uses for the variable x
ours = sg.to_sympy(dy)
theirs = sympy.diff(4 * t**3 + t**2 + 3, t)
print("symgrad's derivative, as SymPy sees it:", ours)
print("SymPy's diff:                           ", theirs)
assert sympy.simplify(ours - theirs) == 0
print(sg.check_grad(y, x, {x: 1.5}))
