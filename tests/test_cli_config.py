"""Config files: where they are found, what they say, and how mistakes are reported."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dockerfix.cli import _is_known_selector
from dockerfix.config_file import find, load
from tests.cli_support import BARE, FIXED, invoke, run, write


@pytest.mark.parametrize(
    ("name", "content", "error"),
    [
        ("dockerfix.toml", 'selct = ["DF001"]', "selct: unknown key (did you mean 'select'?)"),
        (
            "dockerfix.toml",
            "unsafe_fixes = true",
            "unsafe_fixes: unknown key (did you mean 'unsafe-fixes'?)",
        ),
        ("dockerfix.toml", "colour = 1", "colour: unknown key"),
        (
            "dockerfix.toml",
            'select = "DF001"',
            "select: expected a list of non-empty strings, got 'DF001'",
        ),
        (
            "dockerfix.toml",
            'select = [""]',
            "select: expected a list of non-empty strings, got ['']",
        ),
        ("dockerfix.toml", 'ignore = ["NOPE"]', "ignore: unknown rule or code prefix 'NOPE'"),
        (
            "dockerfix.toml",
            'extend-select = ["DF001", 7]',
            "extend-select: expected a list of non-empty strings, got ['DF001', 7]",
        ),
        (
            "dockerfix.toml",
            'unsafe-fixes = "yes"',
            "unsafe-fixes: expected true or false, got 'yes'",
        ),
        (
            "dockerfix.toml",
            "respect-gitignore = 1",
            "respect-gitignore: expected true or false, got 1",
        ),
        (
            "dockerfix.toml",
            'format = "xml"',
            "format: expected one of text, json, sarif, github, got 'xml'",
        ),
        (
            "dockerfix.toml",
            'syntax-directive = "docker/dockerfile 1"',
            "syntax-directive: expected an image reference such as 'docker/dockerfile:1', "
            "got 'docker/dockerfile 1'",
        ),
        (
            "dockerfix.toml",
            'exclude = "vendor"',
            "exclude: expected a list of non-empty strings, got 'vendor'",
        ),
        (
            "dockerfix.toml",
            'per-file-ignores = ["a"]',
            "per-file-ignores: expected a table of glob = [codes], got ['a']",
        ),
        (
            "dockerfix.toml",
            '[per-file-ignores]\n"legacy/*" = ["ZZ"]',
            "per-file-ignores.'legacy/*': unknown rule or code prefix 'ZZ'",
        ),
        (
            "dockerfix.toml",
            "[rule-options.NotARule]\nx = 1",
            "rule-options.NotARule: unknown rule (use a rule code or name)",
        ),
        (
            "dockerfix.toml",
            "[rule-options]\nDF001 = 3",
            "rule-options.DF001: expected a table of options, got 3",
        ),
        (".dockerfix.toml", "select = [", "invalid TOML: "),
        (
            "pyproject.toml",
            '[tool.dockerfix]\nselct = ["DF001"]',
            "[tool.dockerfix] selct: unknown key (did you mean 'select'?)",
        ),
        (
            "pyproject.toml",
            "[tool.dockerfix]\nunsafe-fixes = 0",
            "[tool.dockerfix] unsafe-fixes: expected true or false, got 0",
        ),
    ],
)
def test_config_mistakes_are_clear_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, content: str, error: str
) -> None:
    write(tmp_path, {name: content + "\n", "Dockerfile": BARE})
    monkeypatch.chdir(tmp_path)
    result = invoke()
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {tmp_path / name}: {error}"), result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert (tmp_path / "Dockerfile").read_text() == BARE


def test_a_bad_config_is_exit_2_from_the_real_script(tmp_path: Path) -> None:
    write(tmp_path, {"dockerfix.toml": "selct = []\n", "Dockerfile": BARE})
    result = run(cwd=tmp_path)
    assert result.returncode == 2
    assert (
        result.stderr
        == f"error: {tmp_path / 'dockerfix.toml'}: selct: unknown key (did you mean 'select'?)\n"
    )


def test_the_nearest_config_wins_and_pyprojects_without_the_table_are_passed_over(
    tmp_path: Path,
) -> None:
    write(
        tmp_path,
        {
            "pyproject.toml": '[tool.dockerfix]\nselect = ["DF001"]\n',
            "a/pyproject.toml": "[project]\nname = 'x'\n",
            "a/b/Dockerfile": BARE,
            "c/dockerfix.toml": 'ignore = ["DF001"]\n',
            "c/pyproject.toml": '[tool.dockerfix]\nselect = ["DF001"]\n',
            "c/.dockerfix.toml": 'select = ["DF001"]\nsyntax-directive = "docker/dockerfile:1.7"\n',
        },
    )
    assert find(tmp_path / "a/b") == tmp_path / "pyproject.toml"
    assert find(tmp_path / "a/b/Dockerfile") == tmp_path / "pyproject.toml"
    assert find(tmp_path / "c") == tmp_path / "c/.dockerfix.toml"
    (tmp_path / "c/.dockerfix.toml").unlink()
    assert find(tmp_path / "c") == tmp_path / "c/dockerfix.toml"
    (tmp_path / "c/dockerfix.toml").unlink()
    assert find(tmp_path / "c") == tmp_path / "c/pyproject.toml"


def test_settings_from_the_config_apply(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "pyproject.toml": (
                "[tool.dockerfix]\n"
                'select = ["DF001"]\n'
                'syntax-directive = "docker/dockerfile:1.7"\n'
                'exclude = ["vendor/"]\n'
                '[tool.dockerfix.per-file-ignores]\n"legacy/**" = ["DF001"]\n'
            ),
            "app/Dockerfile": BARE,
            "legacy/old/Dockerfile": BARE,
            "vendor/Dockerfile": BARE,
        },
    )
    result = run("--write", "app", "legacy", "vendor", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "app/Dockerfile").read_text() == FIXED.replace(":1\n", ":1.7\n")
    assert (tmp_path / "legacy/old/Dockerfile").read_text() == BARE
    assert (tmp_path / "vendor/Dockerfile").read_text() == BARE


def test_per_file_ignores_match_names_anywhere_and_paths_from_the_config(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "dockerfix.toml": 'select = ["DF001"]\n[per-file-ignores]\n"*.dev" = ["DF001"]\n"svc/a/*" = ["DF"]\n',  # noqa: E501
            "x/Dockerfile.dev": BARE,
            "svc/a/Dockerfile": BARE,
            "svc/b/Dockerfile": BARE,
        },
    )
    result = run("svc", "x", cwd=tmp_path)
    assert [line.split(":")[0] for line in result.stdout.splitlines() if ": DF001" in line] == [
        "svc/b/Dockerfile"
    ]
    stdin = run("--stdin-filename", "x/Dockerfile.dev", "-", cwd=tmp_path, input=BARE.encode())
    assert stdin.returncode == 0


def test_command_line_options_override_the_config(tmp_path: Path) -> None:
    write(tmp_path, {"dockerfix.toml": 'select = ["DF001"]\nformat = "json"\n', "Dockerfile": BARE})
    as_json = run(cwd=tmp_path)
    assert json.loads(as_json.stdout)["diagnostics"][0]["code"] == "DF001"
    ignored = run("--ignore", "DF001", "--format", "text", cwd=tmp_path)
    assert (ignored.returncode, ignored.stdout.splitlines()[-1]) == (0, "No problems found.")


def test_explicit_config_and_respect_gitignore(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "conf/mine.toml": 'select = ["DF001"]\nrespect-gitignore = false\n',
            ".gitignore": "gen/\n",
            "gen/Dockerfile": BARE,
        },
    )
    assert "0 files scanned" in run("--select", "DF001", cwd=tmp_path).stdout
    result = run("--config", "conf/mine.toml", cwd=tmp_path)
    assert result.stdout.startswith("gen/Dockerfile:1:1: DF001")


def test_load_reads_every_key(tmp_path: Path) -> None:
    path = tmp_path / "dockerfix.toml"
    path.write_text(
        'select = ["DF"]\nextend-select = ["DF001"]\nignore = ["BK"]\nunsafe-fixes = true\n'
        'syntax-directive = "docker/dockerfile:1.10"\nsecret-patterns = ["cookie", "pat"]\n'
        'exclude = ["vendor/"]\nrespect-gitignore = false\nformat = "sarif"\n'
        '[per-file-ignores]\n"a/*" = ["DF001"]\n[rule-options.SyntaxDirective]\nx = 1\n'
    )
    settings = load(path, _is_known_selector)
    config = settings.config
    assert (config.select, config.extend_select, config.ignore) == (("DF",), ("DF001",), ("BK",))
    assert config.unsafe_fixes is True
    assert config.syntax_directive == "docker/dockerfile:1.10"
    assert config.secret_patterns == ("cookie", "pat")
    assert config.rule_options == {"SyntaxDirective": {"x": 1}}
    assert settings.exclude == ("vendor/",)
    assert settings.per_file_ignores == (("a/*", ("DF001",)),)
    assert (settings.respect_gitignore, settings.format) == (False, "sarif")
    assert settings.base == tmp_path
