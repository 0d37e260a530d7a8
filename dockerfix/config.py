"""Which rules run and how: the options shared by the CLI, the server and the library."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

DEFAULT_SYNTAX = "docker/dockerfile:1"


@dataclass(frozen=True)
class Config:
    """Rule selection by code, code prefix or rule name; `ALL` selects every rule."""

    select: tuple[str, ...] = ()
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    unsafe_fixes: bool = False
    syntax_directive: str = DEFAULT_SYNTAX
    # Extra name tokens that mark a secret (SecretsUsedInArgOrEnv), e.g. ("pat", "cookie").
    secret_patterns: tuple[str, ...] = ()
    # Per-rule options, keyed by rule code or name.
    rule_options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def enables(self, code: str, name: str, default: bool) -> bool:
        """Ruff's rule: the most specific matching selector wins; ties go to `ignore`."""
        selectors = (self.select or (("ALL",) if default else ())) + self.extend_select
        chosen = max((_specificity(s, code, name) for s in selectors), default=-1)
        ignored = max((_specificity(s, code, name) for s in self.ignore), default=-1)
        return chosen >= 0 and chosen > ignored

    def options_for(self, code: str, name: str) -> Mapping[str, Any]:
        return {**self.rule_options.get(name, {}), **self.rule_options.get(code, {})}


def _specificity(selector: str, code: str, name: str) -> int:
    """How closely a selector matches a rule: -1 not at all, higher is more specific."""
    if selector == "ALL":
        return 0
    if selector in (name, code):
        return 100
    if code.startswith(selector.upper()):
        return len(selector)
    return -1
