"""The code quality gates run as part of the suite, so `pytest` is the one command to run."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import ROOT

GATES = {
    "ruff check": [sys.executable, "-m", "ruff", "check", "."],
    "ruff format": [sys.executable, "-m", "ruff", "format", "--check", "."],
    "mypy": [sys.executable, "-m", "mypy"],
}


@pytest.mark.parametrize("gate", GATES)
def test_gate(gate: str) -> None:
    result = subprocess.run(GATES[gate], cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
