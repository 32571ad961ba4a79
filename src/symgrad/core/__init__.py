"""Build stage: expression nodes, shapes, dtypes and graph walks."""
