"""The graphs the drawing tests look at: small, an MLP's gradient, a while loop and a cond."""

import symgrad as sg


def small():
    """y = 2 x.x and its gradient."""
    x = sg.var("x", shape=(4,))
    y = 2 * sg.dot(x, x)
    return x, y, sg.grad(y, x)


def mlp():
    """A two-layer tanh network's cross-entropy loss and its gradient."""
    x = sg.var("x", shape=(32, 4))
    t = sg.var("t", shape=(32, 3))
    w1, b1 = sg.var("W1", shape=(4, 8)), sg.var("b1", shape=(8,))
    w2, b2 = sg.var("W2", shape=(8, 3)), sg.var("b2", shape=(3,))
    h = sg.tanh(x @ w1 + b1)
    logits = h @ w2 + b2
    loss = -sg.mean(sg.sum(t * (logits - sg.logsumexp(logits, axis=1, keepdims=True)), axis=1))
    return (w1, b1, w2, b2), loss, sg.grad(loss, [w1, b1, w2, b2])


def while_cond():
    """b = 2a; while |b| < 1000: b = 2b; c = b if sum(b) > 0 else 100 b; and d sum(c)/da."""
    a = sg.var("a", shape=(3,))
    b = sg.while_loop(lambda b: sg.norm(b) < 1000, lambda b: 2 * b, 2 * a)
    c = sg.cond(b.sum() > 0, lambda b: b, lambda b: 100 * b, b)
    return a, c, sg.grad(c.sum(), a)
