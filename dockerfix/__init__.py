"""dockerfix: modernize Dockerfiles for BuildKit without ever corrupting them."""

from dockerfix.syntax import Dockerfile, ParseError, parse

__all__ = ["Dockerfile", "ParseError", "parse"]
