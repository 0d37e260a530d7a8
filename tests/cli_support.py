"""Helpers for the CLI tests: run the installed console script as a real subprocess."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from pathlib import Path

from click.testing import CliRunner, Result

from dockerfix.cli import cli
from tests.conftest import console_script

# A file DF001 (SyntaxDirective, the template rule) fixes, and its fixed form. The CLI tests
# select DF001 alone, so they do not depend on which other rules exist.
BARE = "FROM alpine\nRUN echo hi\n"
FIXED = "# syntax=docker/dockerfile:1\nFROM alpine\nRUN echo hi\n"
ONLY = ("--select", "DF001")


def run(
    *args: str | Path,
    cwd: Path,
    input: bytes | None = None,
    env: Mapping[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run the real `dockerfix` script; stdout and stderr are decoded as UTF-8."""
    environment = {**os.environ, **(env or {})}
    proc = subprocess.run(
        [console_script("dockerfix"), *map(str, args)],
        cwd=cwd,
        input=input,
        capture_output=True,
        env=environment,
        timeout=120,
        check=False,
    )
    return subprocess.CompletedProcess(
        proc.args,
        proc.returncode,
        proc.stdout.decode("utf-8", errors="replace"),
        proc.stderr.decode("utf-8", errors="replace"),
    )


def invoke(*args: str | Path, input: bytes | str | None = None) -> Result:
    """Run the CLI in this process (for details that need no real process)."""
    return CliRunner().invoke(cli, [str(a) for a in args], input=input, catch_exceptions=False)


def write(root: Path, files: Mapping[str, str | bytes]) -> None:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            path.write_bytes(content.encode("utf-8"))
        else:
            path.write_bytes(content)


def snapshot(root: Path) -> dict[str, bytes]:
    """Every regular file under root (symlinks not followed), by relative path."""
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.is_symlink()
    }
