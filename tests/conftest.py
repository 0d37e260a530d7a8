from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
CORPUS = SHARED / "corpus" / "buildkit-parser"
CASES = SHARED / "cases"
GEN_CORPUS = SHARED / "tools" / "gen_corpus.py"


@pytest.fixture(autouse=True)
def _result_cache_outside_the_tree(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The CLI's result cache (on by default) goes to a directory of its own per test, so that
    tests comparing a tree before and after a run see only what the run did to the files."""
    monkeypatch.setenv("DOCKERFIX_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))


def console_script(name: str) -> str:
    """The project's console script `name`: beside this interpreter (the venv) or on PATH."""
    beside = Path(sys.executable).with_name(name)
    found = str(beside) if beside.exists() else shutil.which(name)
    assert found, f"the {name} console script is not installed: run `pip install -e .`"
    return found


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


def generated_corpus(out: Path, count: int, seed: int) -> list[Path]:
    """`count` files from the shared gen_corpus.py (deterministic for a seed), in name order."""
    subprocess.run(
        [sys.executable, str(GEN_CORPUS), str(out), "-n", str(count), "--seed", str(seed)],
        check=True,
        capture_output=True,
    )
    return sorted(p for p in out.rglob("*") if p.is_file())
