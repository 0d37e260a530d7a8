"""A plain (non-editable) install into a fresh venv works: the grammar ships in the wheel."""

from __future__ import annotations

import subprocess
import sys
import venv
from pathlib import Path

import pytest

from tests.conftest import ROOT

PROBE = (
    "import dockerfix, pathlib, sys;"
    "assert 'site-packages' in dockerfix.__file__, dockerfix.__file__;"
    "print(dockerfix.parse(pathlib.Path(sys.argv[1]).read_text()).to_buildkit_dump(), end='')"
)


@pytest.fixture(scope="session")
def installed_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with dockerfix installed from a wheel built from this checkout."""
    work = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(work), str(ROOT)],
        check=True,
    )
    (wheel,) = work.glob("dockerfix-*.whl")
    env_dir = work / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    subprocess.run([python, "-m", "pip", "install", "-q", str(wheel)], check=True)
    return env_dir


def test_wheel_install_parses(installed_venv: Path, tmp_path: Path) -> None:
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text("FROM alpine\nRUN echo hi\n")
    result = subprocess.run(
        [installed_venv / "bin" / "python", "-c", PROBE, str(dockerfile)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout == '(from "alpine")\n(run "echo hi")\n'


def test_wheel_install_has_the_dockerfix_command(installed_venv: Path, tmp_path: Path) -> None:
    """The console script of a plain install runs, fixes a file, and reads stdin."""
    script = installed_venv / "bin" / "dockerfix"
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_bytes(b"FROM alpine\r\nRUN echo hi\r\n")
    checked = subprocess.run(
        [script, "--check", "--select", "DF001", "."],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 1, checked.stderr
    assert checked.stdout.startswith("Dockerfile:1:1: DF001 Add `# syntax=docker/dockerfile:1`")
    written = subprocess.run(
        [script, "--write", "--select", "DF001", "Dockerfile"],
        cwd=tmp_path,
        capture_output=True,
        check=False,
    )
    assert written.returncode == 0, written.stderr
    assert (
        dockerfile.read_bytes() == b"# syntax=docker/dockerfile:1\r\nFROM alpine\r\nRUN echo hi\r\n"
    )
    piped = subprocess.run(
        [script, "--write", "--select", "DF001", "-"],
        input=b"FROM alpine\n",
        capture_output=True,
        check=True,
    )
    assert piped.stdout == b"# syntax=docker/dockerfile:1\nFROM alpine\n"
