"""Emit stage: a graph in topological order becomes the source of a NumPy module."""
