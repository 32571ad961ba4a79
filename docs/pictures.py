"""Regenerate the pictures in docs/ (run from the repository root):

    python docs/pictures.py

They are drawn as a plain ``pip install 'symgrad[viz]'`` draws them, by symgrad's own
layout (Graphviz is switched off), so they look the same on every machine. The explorer's
screenshot needs Playwright and Chromium; without them it is left as it is.
"""

import os
import pathlib
import shutil
import sys

os.environ["SYMGRAD_GRAPHVIZ"] = "0"
DOCS = pathlib.Path(__file__).parent
sys.path.insert(0, str(DOCS.parent))  # the graphs are the drawing tests' own

from tests.picture_graphs import mlp, small, while_cond  # noqa: E402

import symgrad as sg  # noqa: E402


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
    os.chdir(DOCS.parent)  # source lines in the explorer read tests/picture_graphs.py:NN
    for name, make, options in (
        ("small", small, {"show_pruned": True}),
        ("mlp_gradient", mlp, {}),
        ("control_flow", while_cond, {"show_pruned": True}),
    ):
        variables, _, gradient = make()
        variable = variables[0] if isinstance(variables, tuple) else variables  # (W1)
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
