from . import html as _html  # noqa: F401  (registers the Jupyter pages)
