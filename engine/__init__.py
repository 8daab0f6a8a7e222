"""Formwork: a low-code form-and-workflow engine configured by folders of YAML.

The public API is re-exported by each package (`engine.spec`, `engine.expr`, …); this
top-level module only names the version.
"""

__all__ = ["__version__"]

__version__ = "0.1.0"
