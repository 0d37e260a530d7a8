"""The result cache, end to end: the real `dockerfix` script run twice over the same files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli_support import BARE, FIXED, ONLY, run, write

FILES = {
    "bare/Dockerfile": BARE,
    "fixed/Dockerfile": FIXED,
    "broken/Dockerfile": "FROM alpine\nRUN <<EOF\n",  # unparsable: an unterminated heredoc
}


def cached(stderr: str) -> set[str]:
    """The files a `--verbose` run took from the cache."""
    return {line.split(":")[0] for line in stderr.splitlines() if line.endswith("(cached)")}


@pytest.mark.parametrize("fmt", ["text", "json", "sarif"])
def test_a_second_run_prints_the_same_from_the_cache(tmp_path: Path, fmt: str) -> None:
    write(tmp_path, FILES)
    args = ("--check", "--verbose", "--format", fmt, *ONLY)
    first = run(*args, cwd=tmp_path)
    second = run(*args, cwd=tmp_path)
    assert cached(first.stderr) == set()
    assert cached(second.stderr) == {"bare/Dockerfile", "fixed/Dockerfile", "broken/Dockerfile"}
    assert (second.returncode, second.stdout) == (first.returncode, first.stdout)
    assert first.returncode == 2  # the parse error
    if fmt == "json":
        assert json.loads(second.stdout) == json.loads(first.stdout)


def test_a_changed_file_is_checked_again(tmp_path: Path) -> None:
    write(tmp_path, FILES)
    run(*ONLY, cwd=tmp_path)
    (tmp_path / "fixed/Dockerfile").write_text(BARE)
    again = run("--verbose", *ONLY, cwd=tmp_path)
    assert cached(again.stderr) == {"bare/Dockerfile", "broken/Dockerfile"}
    assert "fixed/Dockerfile:1:1: DF001" in again.stdout


def test_an_edited_file_replaces_its_entry(tmp_path: Path) -> None:
    write(tmp_path, FILES)
    cache = tmp_path / "cache"
    env = {"DOCKERFIX_CACHE_DIR": str(cache)}
    for edit in range(3):
        (tmp_path / "bare/Dockerfile").write_text(f"{BARE}RUN echo {edit}\n")
        run(*ONLY, cwd=tmp_path, env=env)
    entries = [p for p in cache.rglob("*") if p.is_file() and p.parent != cache]
    assert len(entries) == len(FILES)


@pytest.mark.parametrize(
    "change",
    [
        ("--select", "DF001,BK"),
        ("--unsafe-fixes",),
        ("--diff",),
    ],
    ids=["rules", "unsafe fixes", "mode"],
)
def test_other_settings_do_not_reuse_results(tmp_path: Path, change: tuple[str, ...]) -> None:
    write(tmp_path, FILES)
    run(*ONLY, cwd=tmp_path)
    again = run("--verbose", *ONLY, *change, cwd=tmp_path)
    assert cached(again.stderr) == set()


def test_a_new_dockerignore_is_a_change(tmp_path: Path) -> None:
    files = {"Dockerfile": "FROM alpine\nCOPY secret.txt /\n"}
    write(tmp_path, files)
    before = run("--verbose", "--select", "BK019", cwd=tmp_path)
    (tmp_path / ".dockerignore").write_text("secret.txt\n")
    after = run("--verbose", "--select", "BK019", cwd=tmp_path)
    assert cached(after.stderr) == set()
    assert "BK019" not in before.stdout
    assert "Dockerfile:2:1: BK019" in after.stdout


def test_write_after_a_cached_check_still_writes(tmp_path: Path) -> None:
    write(tmp_path, {"Dockerfile": BARE})
    run("--check", *ONLY, cwd=tmp_path)
    written = run("--write", "--verbose", *ONLY, cwd=tmp_path)
    assert cached(written.stderr) == set()
    assert (tmp_path / "Dockerfile").read_text() == FIXED
    # A file --write changed is checked again next time; then its result is cached.
    assert [cached(run("--write", "-v", *ONLY, cwd=tmp_path).stderr) for _ in "12"] == [
        set(),
        {"Dockerfile"},
    ]
    assert (tmp_path / "Dockerfile").read_text() == FIXED


def test_the_default_cache_is_beside_the_config_and_ignored_by_git(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DOCKERFIX_CACHE_DIR")
    write(tmp_path, {"dockerfix.toml": 'select = ["DF001"]\n', "app/Dockerfile": BARE})
    run(cwd=tmp_path / "app")  # the config file is found above the working directory
    cache = tmp_path / ".dockerfix_cache"
    assert (cache / ".gitignore").read_text() == "*\n"
    assert (cache / "CACHEDIR.TAG").read_text().startswith("Signature: 8a477f597d28d172")
    assert not (tmp_path / "app" / ".dockerfix_cache").exists()


def test_no_cache_and_standard_input_leave_no_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DOCKERFIX_CACHE_DIR")
    write(tmp_path, {"Dockerfile": BARE})
    run("--no-cache", *ONLY, cwd=tmp_path)
    run(*ONLY, "-", cwd=tmp_path, input=BARE.encode())
    assert not (tmp_path / ".dockerfix_cache").exists()


def test_a_corrupt_cache_is_a_miss(tmp_path: Path) -> None:
    write(tmp_path, FILES)
    cache = tmp_path / "cache"
    env = {"DOCKERFIX_CACHE_DIR": str(cache)}
    first = run(*ONLY, cwd=tmp_path, env=env)
    entries = [p for p in cache.rglob("*") if p.is_file() and p.parent != cache]
    assert len(entries) == len(FILES)
    for entry in entries:
        entry.write_text('{"path": "elsewhere", "findings": [{"truncated')
    again = run("--verbose", *ONLY, cwd=tmp_path, env=env)
    assert cached(again.stderr) == set()
    assert (again.returncode, again.stdout) == (first.returncode, first.stdout)


def test_an_unusable_cache_directory_only_costs_time(tmp_path: Path) -> None:
    write(tmp_path, FILES)
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    env = {"DOCKERFIX_CACHE_DIR": str(blocker / "cache")}
    first = run(*ONLY, cwd=tmp_path, env=env)
    second = run("--verbose", *ONLY, cwd=tmp_path, env=env)
    assert cached(second.stderr) == set()
    assert (second.returncode, second.stdout) == (first.returncode, first.stdout)
    assert "DF001" in first.stdout


def test_pool_workers_share_the_cache(tmp_path: Path) -> None:
    files = {f"svc-{i:02d}/Dockerfile": BARE if i % 3 else FIXED for i in range(60)}
    write(tmp_path, files)
    first = run("--check", "--jobs", "2", "--verbose", *ONLY, cwd=tmp_path)
    second = run("--check", "--jobs", "2", "--verbose", *ONLY, cwd=tmp_path)
    assert cached(first.stderr) == set()
    assert cached(second.stderr) == set(files)
    assert (second.returncode, second.stdout) == (first.returncode, first.stdout)
