"""dockerfix-lsp: the dockerfix language server (diagnostics, fixes and hovers in editors)."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("dockerfix")
except PackageNotFoundError:  # running from a checkout without an install
    __version__ = "0.0.0"

__all__ = ["__version__"]
