"""b = 2a; while ||b|| < 1000: b = 2b; c = b if sum(b) > 0 else 100b. Then dc/da = c/a.

The loop and the branch depend on the value of a, so they live in the graph (sg.while_loop,
sg.cond) and run at call time; reverse mode replays the loop body's derivative backwards.
"""

import numpy as np

import symgrad as sg

a = sg.var("a", shape=(3,))
b = sg.while_loop(lambda b: sg.norm(b) < 1000, lambda b: 2 * b, 2 * a)
c = sg.cond(b.sum() > 0, lambda b: b, lambda b: 100 * b, b)

f = sg.compile([c, sg.jacobian(c, a)])
print(f.source[: f.source.index("class BindError")])
for value in ([0.5, -1.0, 2.0], [-0.5, -1.0, -2.0], [1e-6, 3e-6, 0.0]):
    av = np.array(value)
    cv, jac = f(av)
    k = cv[0] / av[0]  # c = k a: the loop doubles, the branch may multiply by 100
    print(f"a = {av}  c = {cv}  dc/da = {np.diag(jac)} = c/a")
    assert np.allclose(jac, k * np.eye(3))
