"""The generated rule reference is current: python -m dockerfix.docs > docs/rules.md."""

from __future__ import annotations

from dockerfix.docs import render
from tests.conftest import ROOT


def test_rule_reference_is_current() -> None:
    assert (ROOT / "docs" / "rules.md").read_text(encoding="utf-8") == render()
