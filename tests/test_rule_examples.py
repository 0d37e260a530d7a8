"""Every rule's own VALID / INVALID examples, collected automatically: the examples are the spec."""

from __future__ import annotations

import pytest

from dockerfix.config import Config
from dockerfix.engine import check, fix
from dockerfix.rules import ALL_RULES
from dockerfix.rules.base import Invalid, Rule

VALID = [(rule, src) for rule in ALL_RULES for src in rule.VALID]
INVALID = [(rule, example) for rule in ALL_RULES for example in rule.INVALID]


def _only(rule: type[Rule]) -> Config:
    return Config(select=(rule.code,))


def _id(value: object) -> str:
    if isinstance(value, type):
        return value.code  # type: ignore[attr-defined, no-any-return]
    source = value.source if isinstance(value, Invalid) else str(value)
    return source[:40]


@pytest.mark.parametrize(("rule", "source"), VALID, ids=_id)
def test_valid_examples_report_nothing(rule: type[Rule], source: str) -> None:
    assert [d.message for d in check(source, _only(rule))] == []


@pytest.mark.parametrize(("rule", "example"), INVALID, ids=_id)
def test_invalid_examples_are_reported_and_fixed(rule: type[Rule], example: Invalid) -> None:
    assert check(example.source, _only(rule)), "expected a diagnostic"
    result = fix(example.source, _only(rule), unsafe=example.unsafe)
    expected = example.source if example.fixed is None else example.fixed
    assert result.text == expected
    assert result.converged
    assert fix(result.text, _only(rule), unsafe=example.unsafe).text == result.text  # idempotent


@pytest.mark.parametrize("rule", ALL_RULES, ids=lambda r: r.code)
def test_rule_is_documented(rule: type[Rule]) -> None:
    sections = ("What it does", "Why is this bad", "Example", "Fix safety", "References")
    for section in sections:
        assert f"## {section}" in rule.docs(), section
    assert rule.summary()
    # Rules that need a side input (e.g. the .dockerignore) test their INVALID cases in their
    # own test module and say so with NEEDS_CONTEXT.
    assert rule.VALID and (rule.INVALID or getattr(rule, "NEEDS_CONTEXT", False))


def test_codes_and_names_are_unique() -> None:
    assert len({r.code for r in ALL_RULES}) == len({r.name for r in ALL_RULES}) == len(ALL_RULES)
