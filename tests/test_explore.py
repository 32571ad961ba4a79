"""The explorer page, in a real headless browser (Playwright driving the system Chromium)."""

import os
import pathlib
import re
import shutil

import pytest

import symgrad as sg
from symgrad import cli
from symgrad.draw.explore import statement_lines

from .picture_graphs import mlp, while_cond
from .png_pixels import count_unlike

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def browser():
    if os.environ.get("CI") != "true":  # CI installs both; elsewhere they are optional
        pytest.importorskip("playwright")
        if CHROMIUM is None:
            pytest.skip("needs Chromium (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield browser
        browser.close()


class Page:
    """A page opened from a file, with every console message, error and request noted."""

    def __init__(self, browser, path):
        self.page = browser.new_page(viewport={"width": 1400, "height": 900})
        self.messages, self.requests = [], []
        self.page.on("console", lambda m: self.messages.append(f"{m.type}: {m.text}"))
        self.page.on("pageerror", lambda e: self.messages.append(f"pageerror: {e}"))
        self.page.on(
            "dialog", lambda d: (self.messages.append(f"dialog: {d.message}"), d.dismiss())
        )
        self.page.route(
            "**/*",
            lambda route: (
                route.continue_()
                if route.request.url.startswith("file:")
                else (self.requests.append(route.request.url), route.abort())
            ),
        )
        self.page.goto(pathlib.Path(path).as_uri())
        self.page.wait_for_load_state("load")

    def visible_nodes(self):
        return self.page.locator("#graph g.node:not(.hidden)").count()


@pytest.fixture
def mlp_page(browser, tmp_path):
    with sg.record_source_lines():
        wrt, loss, grads = mlp()
    path = sg.explore(grads, tmp_path / "mlp.html")
    page = Page(browser, path)
    yield page, wrt, loss, grads
    page.page.close()


def _expected_boxes(outputs):
    """Nodes the picture draws: every node of the graph with its pruned part, a scalar
    constant once per node that reads it."""
    graph = sg.to_networkx(outputs, show_pruned=True)
    count = 0
    for n, d in graph.nodes(data=True):
        uses = sum(1 for _, _, i in graph.out_edges(n, data="index") if i >= 0)
        shared = d["role"] == "constant" and d["shape"] == () and graph.out_degree(n) > 1
        count += uses + any(i < 0 for _, _, i in graph.out_edges(n, data="index")) if shared else 1
    return count


def test_page_loads_offline_without_errors_and_counts_the_nodes(mlp_page):
    page, wrt, loss, grads = mlp_page
    assert page.messages == [] and page.requests == []
    expected = _expected_boxes(grads)
    assert page.page.locator("#graph g.node").count() == expected
    assert page.page.locator("#count").inner_text() == str(expected)
    assert page.page.locator("#shown").inner_text() == str(expected)
    html = page.page.content()
    assert "http://" not in html.replace("http://www.w3.org/2000/svg", "")
    assert "https://" not in html


def test_clicking_a_node_shows_it_and_its_statement(mlp_page):
    page, wrt, loss, grads = mlp_page
    page.page.locator("#graph g.node.forward", has_text="tanh").first.click()
    details = page.page.locator("#details").inner_text()
    assert "tanh" in details and "(32, 8)" in details and "float64" in details
    assert "picture_graphs.py:" in details and "h = sg.tanh(x @ w1 + b1)" in details
    current = page.page.locator("#code .line.current")
    assert current.count() == 1
    assert re.search(r"\w+ = np\.tanh\(", current.inner_text())
    # A variable: its line is where the input is checked and converted.
    page.page.locator("#graph g.node.input", has_text="W1").first.click()
    assert "W1 = _input(W1" in page.page.locator("#code .line.current").inner_text()
    assert page.messages == []


def test_toggling_a_layer_hides_its_nodes(browser, tmp_path):
    a, c, g = while_cond()
    page = Page(browser, sg.explore(g, tmp_path / "loop.html"))
    total = page.visible_nodes()
    assert total == _expected_boxes(g)  # all layers on: every node, unread parameters too
    gradient = page.page.locator("#graph g.node.gradient:not(.pruned)").count()
    pruned = page.page.locator("#graph g.node.pruned").count()
    assert gradient > 5 and pruned > 3
    page.page.locator("input[data-layer=gradient]").uncheck()
    assert page.page.locator("#graph g.node.gradient:not(.pruned):not(.hidden)").count() == 0
    assert page.visible_nodes() <= total - gradient
    assert page.page.locator("#graph g.node.pruned:not(.hidden)").count() == pruned
    page.page.locator("input[data-layer=pruned]").uncheck()
    assert page.page.locator("#graph g.node.pruned:not(.hidden)").count() == 0
    hidden_frames = page.page.locator("#graph g.cluster.hidden").count()
    assert hidden_frames >= 1
    page.page.locator("input[data-layer=gradient]").check()
    page.page.locator("input[data-layer=pruned]").check()
    assert page.visible_nodes() == total
    assert page.page.locator("#shown").inner_text() == str(total)
    assert page.messages == []
    page.page.close()


def test_pan_and_zoom_move_the_view(mlp_page):
    page, *_ = mlp_page
    box = page.page.locator("#graph svg")
    before = box.get_attribute("viewBox")
    page.page.mouse.move(400, 400)
    page.page.mouse.wheel(0, -400)
    zoomed = box.get_attribute("viewBox")
    assert float(zoomed.split()[2]) < float(before.split()[2])
    page.page.mouse.down()
    page.page.mouse.move(300, 300, steps=4)
    page.page.mouse.up()
    panned = box.get_attribute("viewBox")
    assert panned.split()[:2] != zoomed.split()[:2]
    page.page.locator("#zoom-fit").click()
    assert box.get_attribute("viewBox") == before


def test_screenshot_is_not_blank(mlp_page, tmp_path):
    page, *_ = mlp_page
    page.page.locator("#graph g.node.gradient", has_text="matmul").first.click()
    png = page.page.screenshot(path=str(tmp_path / "page.png"))
    # A blank or unstyled page has a few hundred non-white pixels at most; this one shows
    # the graph, the highlighted code line and the details.
    assert count_unlike(png, (255, 255, 255)) > 40_000
    graph_only = page.page.locator("#graph").screenshot()
    assert count_unlike(graph_only, (255, 255, 255)) > 20_000


def test_hostile_names_stay_text(browser, tmp_path):
    x = sg.var("</script><script>alert(1)</script>\udc80<b>", shape=(2,))
    y = (sg.sin(x) * x).sum()
    page = Page(browser, sg.explore(sg.grad(y, x), tmp_path / "hostile.html", title="<i>t</i>"))
    assert page.messages == []
    page.page.locator("#graph g.node.input").first.click()
    assert "</script><script>alert(1)</script>" in page.page.locator("#details").inner_text()
    assert page.page.locator("h1").inner_text() == "<i>t</i>"
    page.page.close()


def test_statement_lines_follow_reused_names():
    source = ["def f(x):", "    r0 = a", "    r1 = b", "    r0 = c", "    r0 += 1", "    x = r0"]
    names = [(1, "r0"), (2, "r1"), (3, "r0")]
    assert statement_lines(source, names) == {1: 2, 2: 3, 3: 4}


def test_command_line_writes_the_page(tmp_path, capsys):
    out = tmp_path / "cli.html"
    code = cli.main(["explore", "2*dot(x, x)", "--var", "x=4", "-o", str(out)])
    assert code == 0
    text = out.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and "matmul" in text
    assert str(out) in capsys.readouterr().out
