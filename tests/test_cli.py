"""The command line end to end: the installed `dockerfix` script, run as a real process."""

from __future__ import annotations

import json
import os
import pty
import re
import select
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from dockerfix.rules import ALL_RULES
from dockerfix.runner import _context
from tests.cli_support import BARE, FIXED, ONLY, run, snapshot, write
from tests.conftest import CASES, console_script

DIFF = (
    "--- Dockerfile\n"
    "+++ Dockerfile\n"
    "@@ -1,2 +1,3 @@\n"
    "+# syntax=docker/dockerfile:1\n"
    " FROM alpine\n"
    " RUN echo hi\n"
)


def test_report_lists_findings_and_leaves_files_alone(tmp_path: Path) -> None:
    write(tmp_path, {"Dockerfile": BARE, "clean/Dockerfile": FIXED})
    before = snapshot(tmp_path)
    result = run(*ONLY, cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Dockerfile:1:1: DF001 [*] missing `# syntax=` directive")
    assert "2 files scanned: 1 fixable with --write." in lines
    assert "Fixes --write would apply, by rule:" in lines
    assert lines[-1] == "Found 1 problem (1 [*] fixable with --write)."
    assert snapshot(tmp_path) == before


def test_nothing_to_report_exits_0(tmp_path: Path) -> None:
    write(tmp_path, {"Dockerfile": FIXED})
    result = run(*ONLY, cwd=tmp_path)
    assert (result.returncode, result.stdout) == (
        0,
        "1 file scanned: 0 fixable with --write.\nNo problems found.\n",
    )


def test_diff_prints_a_patch_and_writes_nothing(tmp_path: Path) -> None:
    write(tmp_path, {"Dockerfile": BARE})
    result = run("--diff", *ONLY, cwd=tmp_path)
    assert (result.returncode, result.stdout) == (1, DIFF)
    assert "1 file would be changed by --write." in result.stderr
    assert (tmp_path / "Dockerfile").read_text() == BARE


def test_write_applies_fixes_and_a_second_run_changes_nothing(tmp_path: Path) -> None:
    write(tmp_path, {"Dockerfile": BARE})
    first = run("--write", *ONLY, cwd=tmp_path)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "1 file scanned: 1 changed." in first.stdout
    assert "      1  DF001  SyntaxDirective" in first.stdout
    assert (tmp_path / "Dockerfile").read_text() == FIXED
    second = run("--write", *ONLY, cwd=tmp_path)
    assert second.returncode == 0
    assert "1 file scanned: 0 changed." in second.stdout
    assert (tmp_path / "Dockerfile").read_text() == FIXED


def test_check_prints_only_what_would_change(tmp_path: Path) -> None:
    write(tmp_path, {"Dockerfile": BARE, "done/Dockerfile": FIXED})
    result = run("--check", *ONLY, cwd=tmp_path)
    assert result.returncode == 1
    assert (
        result.stdout.splitlines()[0] == "Dockerfile:1:1: DF001 Add `# syntax=docker/dockerfile:1`"
    )
    assert "done/Dockerfile" not in result.stdout
    assert result.stdout.splitlines()[-1] == "1 file would be changed by --write."
    assert (tmp_path / "Dockerfile").read_text() == BARE
    run("--write", *ONLY, cwd=tmp_path)
    after = run("--check", *ONLY, cwd=tmp_path)
    assert (after.returncode, after.stdout.splitlines()[-1]) == (0, "Nothing to change.")


def test_check_with_diff_prints_the_patch(tmp_path: Path) -> None:
    write(tmp_path, {"Dockerfile": BARE})
    result = run("--check", "--diff", *ONLY, cwd=tmp_path)
    assert (result.returncode, result.stdout) == (1, DIFF)


def test_check_ignores_findings_without_a_fix(tmp_path: Path) -> None:
    # Nothing would change: --check passes even if the default mode would report something.
    write(tmp_path, {"Dockerfile": FIXED})
    assert run("--check", cwd=tmp_path).returncode in (0, 1)
    assert run("--check", *ONLY, cwd=tmp_path).returncode == 0


@pytest.mark.parametrize(
    ("args", "stdin", "stdout"),
    [
        (("--write", "-"), BARE, FIXED),
        (("--write", "-"), FIXED, FIXED),  # unchanged text is still echoed
        (("--write", "-"), "FROM a\r\n", "# syntax=docker/dockerfile:1\r\nFROM a\r\n"),
        (("--diff", "-"), BARE, DIFF.replace("Dockerfile", "-")),
        (("--write", "--stdin-filename", "x/Dockerfile", "-"), BARE, FIXED),
    ],
)
def test_stdin(tmp_path: Path, args: tuple[str, ...], stdin: str, stdout: str) -> None:
    result = run(*ONLY, *args, cwd=tmp_path, input=stdin.encode())
    assert result.stdout == stdout
    assert result.returncode in (0, 1), result.stderr
    assert list(tmp_path.iterdir()) == []


def test_stdin_write_passes_unparsable_text_through_unchanged(tmp_path: Path) -> None:
    bad = "FROM a\nRUN <<EOF\n"
    result = run("--write", "-", cwd=tmp_path, input=bad.encode())
    assert (result.returncode, result.stdout) == (2, bad)
    assert "-:2:5: error: cannot parse: " in result.stderr


def test_stdin_write_with_a_machine_format_keeps_stdout_for_the_text(tmp_path: Path) -> None:
    result = run("--write", "--format", "json", *ONLY, "-", cwd=tmp_path, input=BARE.encode())
    assert (result.returncode, result.stdout) == (0, FIXED)
    assert json.loads(result.stderr[: result.stderr.rindex("}") + 1])["fixes"][0]["code"] == "DF001"


def test_stdin_report_uses_the_stdin_filename(tmp_path: Path) -> None:
    plain = run(*ONLY, "-", cwd=tmp_path, input=BARE.encode())
    assert plain.stdout.startswith("-:1:1: DF001 [*] ")
    name = ("--stdin-filename", "svc/app.Dockerfile")
    named = run(*ONLY, *name, "-", cwd=tmp_path, input=b"FROM a\n")
    assert named.stdout.startswith("svc/app.Dockerfile:1:1: DF001 [*] ")
    assert named.returncode == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--write", "--check"), "--write cannot be combined with --check or --diff"),
        (("--write", "--diff"), "--write cannot be combined with --check or --diff"),
        (("--frobnicate",), "--frobnicate"),
        (("--select", "ZZ9"), "unknown rule or code prefix 'ZZ9'"),
        (("--ignore", "DF001,nope"), "unknown rule or code prefix 'nope'"),
        (("--explain", "DF999"), "no rule 'DF999'"),
        (("--jobs", "-1"), "-1 is not in the range x>=0"),
        (("--format", "xml"), "'xml' is not one of"),
        (("-", "Dockerfile"), "`-` (standard input) cannot be combined with other paths"),
        (("--config", "missing.toml"), "does not exist"),
    ],
)
def test_usage_errors_exit_2(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    write(tmp_path, {"Dockerfile": BARE})
    result = run(*args, cwd=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr
    assert (tmp_path / "Dockerfile").read_text() == BARE


def test_unparsable_file_is_reported_and_the_others_still_fixed(tmp_path: Path) -> None:
    bad = "FROM a\nRUN <<EOF\necho\n"
    write(tmp_path, {"a/Dockerfile": BARE, "b/bad.Dockerfile": bad, "c/Dockerfile": BARE})
    result = run("--write", *ONLY, cwd=tmp_path)
    assert result.returncode == 2
    (error,) = [line for line in result.stderr.splitlines() if "error:" in line]
    assert re.fullmatch(r"b/bad\.Dockerfile:\d+:\d+: error: cannot parse: .+", error), error
    assert (tmp_path / "b/bad.Dockerfile").read_text() == bad
    assert (tmp_path / "a/Dockerfile").read_text() == FIXED
    assert (tmp_path / "c/Dockerfile").read_text() == FIXED
    assert "3 files scanned: 2 changed, 1 unparsable." in result.stdout


def test_no_dockerfiles_is_a_warning_not_an_error(tmp_path: Path) -> None:
    write(tmp_path, {"README.md": "hi"})
    result = run(cwd=tmp_path)
    assert result.returncode == 0
    assert "warning: no Dockerfiles found under ." in result.stderr


def test_many_files_in_a_pool_match_an_inline_run(tmp_path: Path) -> None:
    files = {f"svc-{i:02d}/Dockerfile": BARE if i % 3 else FIXED for i in range(60)}
    write(tmp_path, files)
    inline = run("--check", *ONLY, "--jobs", "1", "--no-cache", cwd=tmp_path)
    pooled = run("--check", *ONLY, "--jobs", "2", "--no-cache", cwd=tmp_path)
    assert inline.returncode == pooled.returncode == 1
    assert inline.stdout == pooled.stdout
    assert "60 files scanned: 40 would change." in pooled.stdout
    written = run("--write", *ONLY, "--jobs", "2", cwd=tmp_path)
    assert written.returncode == 0
    assert set(snapshot(tmp_path).values()) == {FIXED.encode()}


def test_list_rules(tmp_path: Path) -> None:
    result = run("--list-rules", cwd=tmp_path)
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert len(lines) == len(ALL_RULES)
    for line, rule in zip(lines, ALL_RULES, strict=True):
        code, name, fix, *summary = line.split()
        assert (code, name) == (rule.code, rule.name)
        assert fix == (str(rule.fix_safety) if rule.fix_safety else "none")
        assert " ".join(summary) == " ".join(rule.summary().split())


def test_list_rules_as_json(tmp_path: Path) -> None:
    listing = json.loads(run("--list-rules", "--format", "json", cwd=tmp_path).stdout)
    assert [set(entry) for entry in listing] == [
        {"code", "name", "summary", "fix", "buildkit_check"}
    ] * len(ALL_RULES)
    first = next(entry for entry in listing if entry["code"] == "DF001")
    assert first == {
        "code": "DF001",
        "name": "SyntaxDirective",
        "summary": ALL_RULES[0].summary(),
        "fix": "safe",
        "buildkit_check": None,
    }


@pytest.mark.parametrize("wanted", ["DF001", "df001", "SyntaxDirective"])
def test_explain(tmp_path: Path, wanted: str) -> None:
    result = run("--explain", wanted, cwd=tmp_path)
    assert result.returncode == 0
    assert result.stdout.startswith("DF001 SyntaxDirective (fix: safe)\n\n## What it does\n")
    assert "## Fix safety" in result.stdout


def test_stats_count_findings_and_fixes_by_rule(tmp_path: Path) -> None:
    write(tmp_path, {"a/Dockerfile": BARE, "b/Dockerfile": BARE, "c/Dockerfile": FIXED})
    report = run("--stats", *ONLY, cwd=tmp_path)
    assert report.stdout.splitlines()[:2] == [
        "  found    fixable  code   rule",
        "      2          2  DF001  SyntaxDirective",
    ]
    written = run("--stats", "--write", *ONLY, cwd=tmp_path)
    assert written.stdout.splitlines()[:2] == [
        "  found      fixed  code   rule",
        "      2          2  DF001  SyntaxDirective",
    ]


def test_quiet_prints_only_findings(tmp_path: Path) -> None:
    write(tmp_path, {"Dockerfile": BARE})
    result = run("--quiet", *ONLY, cwd=tmp_path)
    assert result.returncode == 1
    assert len(result.stdout.splitlines()) == 1
    assert result.stderr == ""


def test_verbose_tells_the_config_skips_and_timings(tmp_path: Path) -> None:
    write(tmp_path, {"Dockerfile": BARE, ".gitignore": "old/\n", "old/Dockerfile": BARE})
    result = run("--verbose", *ONLY, cwd=tmp_path)
    assert "config: none (defaults)" in result.stderr
    assert "skipped old: ignored by .gitignore" in result.stderr
    assert re.search(r"^Dockerfile: 1 findings, 0 fixes \(\d+\.\d ms\)$", result.stderr, re.M)


def _on_a_terminal(args: list[str], cwd: Path) -> tuple[bytes, bytes]:
    """Run with stdout and stderr on two pseudo-terminals; return what each showed."""
    outputs = []
    fds = [pty.openpty(), pty.openpty()]
    proc = subprocess.Popen(
        [console_script("dockerfix"), *args],
        cwd=cwd,
        stdout=fds[0][1],
        stderr=fds[1][1],
        env={**os.environ, "TERM": "xterm-256color", "COLUMNS": "100"},
    )
    for _, replica in fds:
        os.close(replica)
    chunks: dict[int, list[bytes]] = {main: [] for main, _ in fds}
    open_fds = set(chunks)
    while open_fds:
        ready, _, _ = select.select(list(open_fds), [], [], 60)
        assert ready, "dockerfix hung"
        for fd in ready:
            try:
                data = os.read(fd, 65536)
            except OSError:  # EIO: the other side is closed
                data = b""
            if data:
                chunks[fd].append(data)
            else:
                open_fds.discard(fd)
    proc.wait(timeout=60)
    for main, _ in fds:
        os.close(main)
        outputs.append(b"".join(chunks[main]))
    return outputs[0], outputs[1]


@pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals")
def test_colour_only_on_a_terminal(tmp_path: Path) -> None:
    write(tmp_path, {"Dockerfile": BARE})
    assert "\x1b[" not in run(*ONLY, cwd=tmp_path).stdout
    shown, _ = _on_a_terminal([*ONLY], tmp_path)
    assert b"\x1b[" in shown
    plain, _ = _on_a_terminal([*ONLY, "--no-color"], tmp_path)
    assert b"\x1b[" not in plain
    assert plain.startswith(b"Dockerfile:1:1: DF001 [*] ")


@pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals")
def test_progress_bar_on_a_terminal_for_many_files(tmp_path: Path) -> None:
    write(tmp_path, {f"s{i:02d}/Dockerfile": BARE for i in range(60)})
    _, progress = _on_a_terminal(["--check", *ONLY], tmp_path)
    assert b"/60" in progress
    piped = run("--check", *ONLY, cwd=tmp_path)
    assert "/60" not in piped.stderr
    _, few = _on_a_terminal(["--check", *ONLY, "s00", "s01"], tmp_path)
    assert b"/2" not in few
    _, quiet = _on_a_terminal(["--check", "--quiet", *ONLY], tmp_path)
    assert b"/60" not in quiet


def test_secret_migration_tells_the_build_flags_the_file_now_needs(tmp_path: Path) -> None:
    case = CASES / "secret-arg-to-mount" / "Dockerfile"
    write(tmp_path, {"Dockerfile": case.read_bytes()})
    flags = [
        "Build flags the fixed files {} need:",
        "  Dockerfile: --secret id=NPM_TOKEN,env=NPM_TOKEN",
    ]
    checked = run("--check", "--unsafe-fixes", cwd=tmp_path).stdout.splitlines()
    assert [flags[0].format("would"), flags[1]] == checked[checked.index(flags[1]) - 1 :][:2]
    written = run("--write", "--unsafe-fixes", cwd=tmp_path).stdout.splitlines()
    assert [flags[0].format("now"), flags[1]] == written[written.index(flags[1]) - 1 :][:2]
    assert "--mount=type=secret,id=NPM_TOKEN,env=NPM_TOKEN" in (tmp_path / "Dockerfile").read_text()


def test_the_pool_does_not_fork_a_process_that_has_threads() -> None:
    # fork() copies one thread only: a Go runtime or a progress bar's thread would be lost.
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert _context().get_start_method() in ("forkserver", "spawn")
    finally:
        stop.set()
        thread.join()
