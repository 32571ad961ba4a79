"""Regenerate the pictures in docs/ (run from the repository root):

    python docs/pictures.py

They are drawn as a plain ``pip install 'symgrad[viz]'`` draws them, by symgrad's own
layout (Graphviz is switched off), so they look the same on every machine. The explorer's
screenshot needs Playwright and Chromium; without them it is left as it is.
"""

import os
import pathlib
import shutil

os.environ["SYMGRAD_GRAPHVIZ"] = "0"

import symgrad as sg  # noqa: E402

DOCS = pathlib.Path(__file__).parent


def small():
    x = sg.var("x", shape=(4,))
    y = 2 * sg.dot(x, x)
    return x, y, sg.grad(y, x)


def mlp():
    x = sg.var("x", shape=(32, 4))
    t = sg.var("t", shape=(32, 3))
    w1, b1 = sg.var("W1", shape=(4, 8)), sg.var("b1", shape=(8,))
    w2, b2 = sg.var("W2", shape=(8, 3)), sg.var("b2", shape=(3,))
    h = sg.tanh(x @ w1 + b1)
    logits = h @ w2 + b2
    loss = -sg.mean(sg.sum(t * (logits - sg.logsumexp(logits, axis=1, keepdims=True)), axis=1))
    return w1, loss, sg.grad(loss, [w1, b1, w2, b2])


def while_cond():
    a = sg.var("a", shape=(3,))
    b = sg.while_loop(lambda b: sg.norm(b) < 1000, lambda b: 2 * b, 2 * a)
    c = sg.cond(b.sum() > 0, lambda b: b, lambda b: 100 * b, b)
    return a, c, sg.grad(c.sum(), a)


def screenshot(page: pathlib.Path, target: pathlib.Path) -> None:
    chromium = shutil.which("chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        chromium = None
    if chromium is None:
        print(f"left {target.name} as it is (needs Playwright and Chromium)")
        return
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=chromium, args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        view = browser.new_page(viewport={"width": 1400, "height": 860})
        view.goto(page.resolve().as_uri())
        view.locator("#graph g.node.forward", has_text="tanh").first.click()
        view.screenshot(path=str(target))
        browser.close()
    print(f"wrote {target}")


def main() -> None:
    os.chdir(DOCS.parent)  # source lines in the explorer read docs/pictures.py:NN
    for name, make, options in (
        ("small", small, {"show_pruned": True}),
        ("mlp_gradient", mlp, {}),
        ("control_flow", while_cond, {"show_pruned": True}),
    ):
        variable, _, gradient = make()
        for suffix in (".svg", ".png"):
            path = sg.draw(gradient, DOCS / (name + suffix), highlight=variable, **options)
            print(f"wrote {path}")
    with sg.record_source_lines():
        _, loss, gradient = mlp()
    page = sg.explore([loss, gradient], DOCS / "explorer.html", title="A two-layer MLP")
    print(f"wrote {page}")
    screenshot(pathlib.Path(page), DOCS / "explorer.png")


if __name__ == "__main__":
    main()
