"""The lossless, BuildKit-exact Dockerfile syntax tree."""

from dockerfix.syntax.errors import ParseError
from dockerfix.syntax.nodes import (
    Arguments,
    Comment,
    Directive,
    Dockerfile,
    Flag,
    Heredoc,
    Instruction,
    Keyword,
    Location,
    Node,
    Span,
    Stage,
    Token,
)
from dockerfix.syntax.parser import parse

__all__ = [
    "Arguments",
    "Comment",
    "Directive",
    "Dockerfile",
    "Flag",
    "Heredoc",
    "Instruction",
    "Keyword",
    "Location",
    "Node",
    "ParseError",
    "Span",
    "Stage",
    "Token",
    "parse",
]
