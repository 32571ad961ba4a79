"""Draw stage: graphs as networkx graphs, Graphviz DOT text, SVG and PNG pictures."""

from . import svg as _svg  # noqa: F401  (registers Expr._repr_svg_)
