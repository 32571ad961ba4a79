"""Draw stage: graphs as networkx graphs, Graphviz DOT text, SVG and PNG pictures."""
