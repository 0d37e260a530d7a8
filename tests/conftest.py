from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
CORPUS = SHARED / "corpus" / "buildkit-parser"
CASES = SHARED / "cases"


def shared_dockerfiles() -> list[Path]:
    """Every Dockerfile the shared material provides (fixtures and acceptance cases)."""
    assert SHARED.is_dir(), f"{SHARED} is missing: tests read the shared material beside the repo"
    return sorted([*CORPUS.rglob("Dockerfile"), *CASES.glob("*/Dockerfile")])


def read_exact(path: Path) -> str:
    """The file's text with nothing normalised (no universal newlines)."""
    return path.read_bytes().decode("utf-8")


@pytest.fixture(scope="session")
def shared_texts() -> dict[str, str]:
    return {str(p.relative_to(SHARED)): read_exact(p) for p in shared_dockerfiles()}
