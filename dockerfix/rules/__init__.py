"""The rule registry: one module per rule, one line here per rule."""

from __future__ import annotations

from dockerfix.rules.base import Rule
from dockerfix.rules.syntax_directive import SyntaxDirective

ALL_RULES: tuple[type[Rule], ...] = (SyntaxDirective,)


def by_code() -> dict[str, type[Rule]]:
    return {rule.code: rule for rule in ALL_RULES}
