"use strict";
// The explorer page: pan and zoom the graph, toggle its layers, click a node to see it and
// the statement that computes it. Every text from the graph is set with textContent.
(function () {
  const data = JSON.parse(document.getElementById("data").textContent);
  const pane = document.getElementById("graph");
  const svg = pane.querySelector("svg");
  const details = document.getElementById("details");
  const code = document.getElementById("code");

  // --- the emitted source, one element per line -------------------------------------------
  const lines = data.source.map(function (text, i) {
    const row = document.createElement("div");
    row.className = "line";
    row.id = "L" + (i + 1);
    const number = document.createElement("span");
    number.className = "number";
    number.textContent = String(i + 1);
    row.appendChild(number);
    row.appendChild(document.createTextNode(text));
    code.appendChild(row);
    return row;
  });

  // --- pan and zoom: the SVG's viewBox ------------------------------------------------------
  const full = svg.viewBox.baseVal;
  const home = { x: full.x, y: full.y, w: full.width, h: full.height };
  let view = Object.assign({}, home);
  svg.removeAttribute("width");
  svg.removeAttribute("height");
  svg.setAttribute("preserveAspectRatio", "xMidYMin meet");
  function show() {
    svg.setAttribute("viewBox", [view.x, view.y, view.w, view.h].join(" "));
  }
  function zoom(factor, cx, cy) {
    const w = Math.min(Math.max(view.w * factor, 20), home.w * 20);
    const h = (w / view.w) * view.h;
    view = { x: cx - ((cx - view.x) * w) / view.w, y: cy - ((cy - view.y) * h) / view.h, w: w, h: h };
    show();
  }
  function toGraph(event) {
    const point = svg.createSVGPoint();
    point.x = event.clientX;
    point.y = event.clientY;
    return point.matrixTransform(svg.getScreenCTM().inverse());
  }
  pane.addEventListener("wheel", function (event) {
    event.preventDefault();
    const p = toGraph(event);
    zoom(event.deltaY > 0 ? 1.15 : 1 / 1.15, p.x, p.y);
  }, { passive: false });
  let drag = null;
  pane.addEventListener("mousedown", function (event) {
    drag = { x: event.clientX, y: event.clientY, view: Object.assign({}, view), moved: false };
    pane.classList.add("dragging");
  });
  window.addEventListener("mousemove", function (event) {
    if (!drag) return;
    const scale = view.w / pane.clientWidth;
    const dx = event.clientX - drag.x, dy = event.clientY - drag.y;
    if (Math.abs(dx) + Math.abs(dy) > 3) drag.moved = true;
    view.x = drag.view.x - dx * scale;
    view.y = drag.view.y - dy * scale;
    show();
  });
  window.addEventListener("mouseup", function () {
    pane.classList.remove("dragging");
    setTimeout(function () { drag = null; }, 0);
  });
  document.getElementById("zoom-in").addEventListener("click", function () {
    zoom(1 / 1.4, view.x + view.w / 2, view.y + view.h / 2);
  });
  document.getElementById("zoom-out").addEventListener("click", function () {
    zoom(1.4, view.x + view.w / 2, view.y + view.h / 2);
  });
  document.getElementById("zoom-fit").addEventListener("click", function () {
    view = Object.assign({}, home);
    show();
  });
  show();

  // --- layers ---------------------------------------------------------------------------------
  const nodes = Array.from(svg.querySelectorAll("g.node"));
  const edges = Array.from(svg.querySelectorAll("g.edge"));
  const frames = Array.from(svg.querySelectorAll("g.cluster"));
  const byId = {};
  nodes.forEach(function (g) { byId[g.getAttribute("data-node")] = g; });
  function layerOf(g) {
    if (g.classList.contains("pruned")) return "pruned";
    if (g.classList.contains("gradient")) return "gradient";
    if (g.classList.contains("forward")) return "forward";
    return null; // inputs, parameters and constants stay while what reads them does
  }
  function applyLayers() {
    const on = {};
    document.querySelectorAll("input[data-layer]").forEach(function (box) {
      on[box.getAttribute("data-layer")] = box.checked;
    });
    const visible = {};
    nodes.forEach(function (g) {
      const layer = layerOf(g);
      const shown = layer === null || on[layer];
      g.classList.toggle("hidden", !shown);
      visible[g.getAttribute("data-node")] = shown;
    });
    // A leaf read by something stays only while something visible reads it.
    const read = {}, readers = {};
    edges.forEach(function (e) {
      readers[e.getAttribute("data-tail")] = true;
      if (visible[e.getAttribute("data-head")]) read[e.getAttribute("data-tail")] = true;
    });
    nodes.forEach(function (g) {
      const id = g.getAttribute("data-node");
      if (layerOf(g) === null && readers[id] && !read[id] && data.nodes[id].output.length === 0) {
        g.classList.add("hidden");
        visible[id] = false;
      }
    });
    edges.forEach(function (e) {
      e.classList.toggle("hidden", !(visible[e.getAttribute("data-tail")] && visible[e.getAttribute("data-head")]));
    });
    frames.forEach(function (f) {
      f.classList.toggle("hidden", !visible[f.getAttribute("data-owner")]);
    });
    document.getElementById("shown").textContent = String(nodes.filter(function (g) {
      return !g.classList.contains("hidden");
    }).length);
  }
  document.querySelectorAll("input[data-layer]").forEach(function (box) {
    box.addEventListener("change", applyLayers);
  });
  applyLayers();

  // --- details of a node ------------------------------------------------------------------
  function row(table, name, value, mono) {
    const tr = document.createElement("tr");
    const a = document.createElement("td");
    a.textContent = name;
    const b = document.createElement("td");
    if (mono) b.className = "mono";
    b.textContent = value;
    tr.appendChild(a);
    tr.appendChild(b);
    table.appendChild(tr);
    return b;
  }
  function select(id) {
    const info = data.nodes[id];
    nodes.forEach(function (g) { g.classList.remove("selected"); });
    byId[id].classList.add("selected");
    details.textContent = "";
    const title = document.createElement("h2");
    title.textContent = info.title;
    details.appendChild(title);
    const table = document.createElement("table");
    row(table, "op", info.op, true);
    row(table, "shape", info.shape, true);
    row(table, "dtype", info.dtype, true);
    row(table, "role", info.role + (info.pruned ? ", pruned" : ""));
    if (info.body) row(table, "in", info.body);
    if (info.output.length) row(table, "output", info.output.join(", "));
    const where = row(table, "built at", info.source || "not recorded", true);
    if (!info.source) {
      where.className = "hint";
      where.textContent = "not recorded (build inside: with sg.record_source_lines():)";
    }
    if (info.source_text) row(table, "", info.source_text, true);
    const statement = row(table, "statement", info.line ? "line " + info.line : info.note);
    if (!info.line) statement.className = "hint";
    details.appendChild(table);
    lines.forEach(function (l) { l.classList.remove("current"); });
    if (info.line) {
      const target = lines[info.line - 1];
      target.classList.add("current");
      target.scrollIntoView({ block: "center" });
    }
  }
  nodes.forEach(function (g) {
    g.addEventListener("click", function (event) {
      if (drag && drag.moved) return;
      event.stopPropagation();
      select(g.getAttribute("data-node"));
    });
  });
})();
