"""Files: which ones are found, which are refused (and how), and how they are written."""

from __future__ import annotations

import os
import re
import signal
import stat
import subprocess
import time
from pathlib import Path

import pytest

from dockerfix import files
from dockerfix.files import atomic_write, discover, is_dockerfile_name
from tests.cli_support import BARE, FIXED, ONLY, invoke, run, snapshot, write
from tests.conftest import ROOT, console_script


@pytest.mark.parametrize(
    ("name", "is_dockerfile"),
    [
        ("Dockerfile", True),
        ("dockerfile", True),
        ("DOCKERFILE", True),
        ("Containerfile", True),
        ("containerfile", True),
        ("Dockerfile.dev", True),
        ("dockerfile.prod", True),
        ("app.Dockerfile", True),
        ("app.dockerfile", True),
        ("base.containerfile", True),
        ("base.Containerfile", True),
        ("Dockerfile.dockerignore", False),  # BuildKit's per-Dockerfile ignore file
        (".dockerignore", False),
        ("Dockerfile.orig", False),
        ("Dockerfile~", False),
        (".dockerfile", False),
        ("Dockerfiles", False),
        ("MyDockerfile", False),
        ("docker-compose.yml", False),
        ("Containerfile.in", False),  # not in the list of patterns
    ],
)
def test_dockerfile_names(name: str, is_dockerfile: bool) -> None:
    assert is_dockerfile_name(name) is is_dockerfile


def _found(root: Path, *paths: str, **options: object) -> list[str]:
    result = discover([root / p for p in paths] if paths else [root], **options)  # type: ignore[arg-type]
    return [p.relative_to(root).as_posix() for p in result.files]


def test_discovery_walks_the_tree_in_order(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "Dockerfile": "",
            "b/app.Dockerfile": "",
            "a/Containerfile": "",
            "a/Dockerfile.dev": "",
            "a/Dockerfile.dockerignore": "",
            "a/notes.txt": "",
            "node_modules/x/Dockerfile": "",
            ".git/Dockerfile": "",
        },
    )
    assert _found(tmp_path) == [
        "Dockerfile",
        "a/Containerfile",
        "a/Dockerfile.dev",
        "b/app.Dockerfile",
    ]


def test_gitignore_is_respected_like_git(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            ".gitignore": "build/\n*.dev\n!keep/Dockerfile.dev\n",
            "Dockerfile": "",
            "build/Dockerfile": "",
            "x/Dockerfile.dev": "",
            "keep/Dockerfile.dev": "",
            "sub/.gitignore": "Dockerfile\n",
            "sub/Dockerfile": "",
            "sub/app.Dockerfile": "",
        },
    )
    assert _found(tmp_path) == ["Dockerfile", "keep/Dockerfile.dev", "sub/app.Dockerfile"]
    assert len(_found(tmp_path, respect_gitignore=False)) == 6


def test_gitignore_above_the_searched_folder_counts_inside_a_repository(tmp_path: Path) -> None:
    write(tmp_path, {".gitignore": "gen/\n", "app/gen/Dockerfile": "", "app/Dockerfile": ""})
    (tmp_path / ".git").mkdir()
    assert _found(tmp_path, "app") == ["app/Dockerfile"]


def test_explicit_files_are_always_processed(tmp_path: Path) -> None:
    write(tmp_path, {".gitignore": "*\n", "ignored/Dockerfile": BARE, "build.txt": BARE})
    assert _found(tmp_path) == []
    assert _found(tmp_path, "ignored/Dockerfile", "build.txt") == [
        "ignored/Dockerfile",
        "build.txt",
    ]
    named = ("ignored/Dockerfile", "build.txt", "--exclude", "ignored")
    result = run("--write", *ONLY, *named, cwd=tmp_path)
    assert result.returncode == 0
    assert (tmp_path / "ignored/Dockerfile").read_text() == FIXED
    assert (tmp_path / "build.txt").read_text() == FIXED


def test_exclude_globs(tmp_path: Path) -> None:
    write(tmp_path, {"a/Dockerfile": BARE, "vendor/x/Dockerfile": BARE, "b/Dockerfile.ci": BARE})
    result = run("--write", *ONLY, "--exclude", "vendor/", "--exclude", "*.ci", cwd=tmp_path)
    assert "1 file scanned" in result.stdout
    assert snapshot(tmp_path) == {
        "a/Dockerfile": FIXED.encode(),
        "b/Dockerfile.ci": BARE.encode(),
        "vendor/x/Dockerfile": BARE.encode(),
    }


def test_symlinks_are_not_followed_out_of_the_tree(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    tree = tmp_path / "tree"
    write(outside, {"Dockerfile": BARE, "dir/Dockerfile": BARE})
    write(tree, {"real/Dockerfile": BARE})
    (tree / "linked.Dockerfile").symlink_to(outside / "Dockerfile")
    (tree / "linked-dir").symlink_to(outside / "dir")
    (tree / "inside.Dockerfile").symlink_to(tree / "real/Dockerfile")
    (tree / "loop").symlink_to(tree)
    found = discover([tree])
    assert [p.relative_to(tree).as_posix() for p in found.files] == ["inside.Dockerfile"]
    skipped = {p.name: reason for p, reason in found.skipped}
    assert skipped == {
        "linked-dir": "symbolic link out of the tree",
        "linked.Dockerfile": "symbolic link out of the tree",
    }
    result = run("--write", *ONLY, cwd=tree)
    assert result.returncode == 0, result.stderr
    assert snapshot(outside) == {"Dockerfile": BARE.encode(), "dir/Dockerfile": BARE.encode()}
    # The in-tree link was written through: it is still a link, to a fixed file.
    assert (tree / "inside.Dockerfile").is_symlink()
    assert (tree / "real/Dockerfile").read_text() == FIXED


def test_an_explicit_symlink_is_written_through(tmp_path: Path) -> None:
    write(tmp_path, {"real": BARE})
    (tmp_path / "Dockerfile").symlink_to("real")
    assert run("--write", *ONLY, "Dockerfile", cwd=tmp_path).returncode == 0
    assert (tmp_path / "Dockerfile").is_symlink()
    assert (tmp_path / "real").read_text() == FIXED


# -- bad input: a one-line error each, exit 2, nothing touched ----------------------------


def _bad_inputs(root: Path) -> dict[str, str]:
    """Make each kind of bad input under root; return name -> expected error (a regex)."""
    write(
        root,
        {
            "binary/Dockerfile": b"FROM a\n\x00\x01\x02",
            "latin1/Dockerfile": "FROM a\nLABEL x=caf\xe9\n".encode("latin-1"),
            "utf16/Dockerfile": "FROM a\n".encode("utf-16"),
        },
    )
    (root / "directory/Dockerfile").mkdir(parents=True)
    big = root / "big/Dockerfile"
    big.parent.mkdir()
    with big.open("wb") as handle:  # 50 MB, sparse
        handle.truncate(50 * 1024 * 1024)
    (root / "broken").mkdir()
    (root / "broken/Dockerfile").symlink_to(root / "nowhere")
    return {
        "binary/Dockerfile": r"binary/Dockerfile:2:1: error: binary file \(it contains NUL bytes\), not a Dockerfile",  # noqa: E501
        "latin1/Dockerfile": r"latin1/Dockerfile:2:12: error: not UTF-8 text \(byte 0xe9 at offset 18\)",  # noqa: E501
        "utf16/Dockerfile": r"utf16/Dockerfile: error: not UTF-8 text \(it starts with a UTF-16 byte-order mark\)",  # noqa: E501
        "directory/Dockerfile": r"directory/Dockerfile: error: is a directory, not a Dockerfile",
        "big/Dockerfile": r"big/Dockerfile: error: too large \(52,428,800 bytes; the limit is 10 MiB\)",  # noqa: E501
        "broken/Dockerfile": r"broken/Dockerfile: error: broken symbolic link \(to .*nowhere\)",
    }


@pytest.mark.parametrize("how", ["searched", "named"])
def test_bad_input_gets_one_clear_line_and_nothing_is_touched(tmp_path: Path, how: str) -> None:
    expected = _bad_inputs(tmp_path)
    write(tmp_path, {"good/Dockerfile": BARE})
    before = snapshot(tmp_path)
    mtimes = {p: p.lstat().st_mtime_ns for p in tmp_path.rglob("*")}
    args = [] if how == "searched" else [*expected, "good/Dockerfile"]
    result = run("--write", *ONLY, *args, cwd=tmp_path)
    assert result.returncode == 2
    if how == "searched":  # a folder named Dockerfile in a tree is odd, not an error
        expected.pop("directory/Dockerfile")
        warning = "warning: directory/Dockerfile: is a directory, not a Dockerfile"
        assert warning in result.stderr.splitlines()
    errors = sorted(line for line in result.stderr.splitlines() if "error:" in line)
    assert len(errors) == len(expected), result.stderr
    for line, pattern in zip(errors, sorted(expected.values()), strict=True):
        assert re.fullmatch(pattern, line), (line, pattern)
    assert "Traceback" not in result.stderr
    after = snapshot(tmp_path)
    assert after.pop("good/Dockerfile") == FIXED.encode()
    before.pop("good/Dockerfile")
    assert after == before
    assert {p: t for p, t in mtimes.items() if "good" not in p.parts} == {
        p: p.lstat().st_mtime_ns for p in mtimes if "good" not in p.parts
    }


def test_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, {"Dockerfile": BARE})
    if os.geteuid() != 0:
        (tmp_path / "Dockerfile").chmod(0)
        result = run(*ONLY, cwd=tmp_path)
        assert result.returncode == 2
        assert "Dockerfile: error: cannot read: Permission denied" in result.stderr
    # Root reads everything, so also check the message with the error injected.
    real_open = open

    def deny(path: object, *args: object, **kwargs: object) -> object:
        if str(path).endswith("Dockerfile"):
            raise PermissionError(13, "Permission denied")
        return real_open(path, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(files, "open", deny, raising=False)
    monkeypatch.chdir(tmp_path)
    result = invoke(*ONLY, "Dockerfile")
    assert result.exit_code == 2
    assert result.stderr == "Dockerfile: error: cannot read: Permission denied\n"


def test_a_directory_named_dockerfile_with_dockerfiles_inside_is_searched(tmp_path: Path) -> None:
    write(tmp_path, {"Dockerfile/Dockerfile": BARE})
    result = run("--write", *ONLY, "Dockerfile", cwd=tmp_path)
    assert result.returncode == 0
    assert (tmp_path / "Dockerfile/Dockerfile").read_text() == FIXED


# -- writes keep everything but the fix ---------------------------------------------------


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("FROM a\r\nRUN x\r\n", "# syntax=docker/dockerfile:1\r\nFROM a\r\nRUN x\r\n"),
        ("\ufeffFROM a\n", "\ufeff# syntax=docker/dockerfile:1\nFROM a\n"),
        ("\ufeffFROM a\r\n", "\ufeff# syntax=docker/dockerfile:1\r\nFROM a\r\n"),
        ("FROM a\nRUN x", "# syntax=docker/dockerfile:1\nFROM a\nRUN x"),  # no final newline
        (
            'FROM a\nLABEL k="caf\u00e9 \U0001f600"\n',
            '# syntax=docker/dockerfile:1\nFROM a\nLABEL k="caf\u00e9 \U0001f600"\n',
        ),
        ("FROM a\rRUN x\n", None),  # a lone CR is not a line ending for BuildKit either
    ],
)
def test_write_keeps_line_endings_bom_and_encoding(
    tmp_path: Path, before: str, after: str | None
) -> None:
    path = tmp_path / "Dockerfile"
    path.write_bytes(before.encode("utf-8"))
    result = run("--write", *ONLY, cwd=tmp_path)
    if after is None:
        assert path.read_bytes() == before.encode("utf-8") or result.returncode in (0, 1)
        return
    assert result.returncode == 0, result.stderr
    assert path.read_bytes() == after.encode("utf-8")


@pytest.mark.parametrize("mode", [0o600, 0o644, 0o755, 0o640])
def test_write_keeps_mode_bits(tmp_path: Path, mode: int) -> None:
    path = tmp_path / "Dockerfile"
    path.write_text(BARE)
    path.chmod(mode)
    assert run("--write", *ONLY, cwd=tmp_path).returncode == 0
    assert path.read_text() == FIXED
    assert stat.S_IMODE(path.stat().st_mode) == mode
    assert [p.name for p in tmp_path.iterdir()] == ["Dockerfile"]  # no temp file left


def test_atomic_write_failing_midway_leaves_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "Dockerfile"
    path.write_text(BARE)

    def interrupted(*_: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        atomic_write(path, FIXED.encode())
    assert path.read_text() == BARE
    assert [p.name for p in tmp_path.iterdir()] == ["Dockerfile"]


def test_atomic_write_refuses_a_file_changed_since_it_was_read(tmp_path: Path) -> None:
    path = tmp_path / "Dockerfile"
    path.write_text(BARE)
    seen = path.stat()
    time.sleep(0.01)
    path.write_text(BARE + "# edited meanwhile\n")
    with pytest.raises(files.SourceError, match="changed on disk"):
        atomic_write(path, FIXED.encode(), expected=seen)
    assert path.read_text() == BARE + "# edited meanwhile\n"


def test_ctrl_c_mid_run_leaves_every_file_old_or_new(tmp_path: Path) -> None:
    count = 600
    write(tmp_path, {f"s{i:03d}/Dockerfile": BARE for i in range(count)})
    proc = subprocess.Popen(
        [console_script("dockerfix"), "--write", *ONLY, "--jobs", "2"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    # Interrupt once some files (not all) are written.
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        done = sum(1 for p in tmp_path.glob("*/Dockerfile") if p.stat().st_size > len(BARE))
        if done >= 5 or proc.poll() is not None:
            break
        time.sleep(0.005)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    contents = snapshot(tmp_path)
    assert len(contents) == count, "a temp file was left behind or a file is missing"
    assert set(contents.values()) <= {BARE.encode(), FIXED.encode()}
    if proc.returncode != 0:  # it may have finished before the signal arrived
        assert proc.returncode == 130, err
        assert b"Traceback" not in err
        assert err.decode().strip().endswith("interrupted")


def test_pre_commit_hooks_pick_the_files_dockerfix_would_find() -> None:
    hooks = (ROOT / ".pre-commit-hooks.yaml").read_text()
    entries = re.findall(r"^  entry: (.+)$", hooks, re.M)
    assert entries == ["dockerfix --write", "dockerfix --check"]
    (files_re,) = set(re.findall(r"^  files: '(.+)'$", hooks, re.M))
    (exclude_re,) = set(re.findall(r"^  exclude: '(.+)'$", hooks, re.M))
    names = [
        "Dockerfile", "dockerfile", "Containerfile", "Dockerfile.dev", "app.Dockerfile",
        "app.dockerfile", "x.containerfile", "Dockerfile.dockerignore", ".dockerignore",
        "Dockerfile.orig", ".dockerfile", "MyDockerfile", "Dockerfiles", "Containerfile.in",
        "Dockerfile~", "notes.txt",
    ]  # fmt: skip
    for name in names:
        for path in (name, f"svc/{name}"):
            hooked = bool(re.search(files_re, path)) and not re.search(exclude_re, path)
            assert hooked == is_dockerfile_name(name), path


def test_the_readme_quick_start_runs(tmp_path: Path) -> None:
    result = run(ROOT / "examples" / "Dockerfile", cwd=tmp_path)
    assert result.returncode in (0, 1), result.stderr
    assert "error" not in result.stderr
    assert "1 file scanned" in result.stdout
