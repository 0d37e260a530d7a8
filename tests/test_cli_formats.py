"""Output formats: json, sarif (validated against the official schema), github, and summaries."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from dockerfix.report import FileError, FileResult, Finding, Mode, Range, Run, github, text
from tests.cli_support import BARE, ONLY, run, write
from tests.conftest import ROOT

# `.ci/run` installs Microsoft's SARIF Multitool (npm) here; it ships the SARIF 2.1.0 schema.
MULTITOOL = Path(
    os.environ.get(
        "SARIF_MULTITOOL_DIR", ROOT / ".tools/node_modules/@microsoft/sarif-multitool-linux"
    )
)

# First instruction `ARG X="😀😀"`: 10 code points, 12 UTF-16 code units.
EMOJI = 'ARG X="\U0001f600\U0001f600"\nFROM alpine\n'


def _multitool() -> Path:
    if not (MULTITOOL / "Sarif.Multitool").exists():
        if os.environ.get("CI"):
            pytest.fail(f"the SARIF Multitool is not installed in {MULTITOOL} (.ci/run does it)")
        pytest.skip("the SARIF Multitool (npm @microsoft/sarif-multitool-linux) is not installed")
    return MULTITOOL


def _sarif(tmp_path: Path, *args: str) -> dict[str, Any]:
    result = run("--format", "sarif", *args, cwd=tmp_path)
    assert result.returncode in (0, 1, 2), result.stderr
    log: dict[str, Any] = json.loads(result.stdout)
    return log


@pytest.fixture
def sarif_tree(tmp_path: Path) -> Path:
    write(
        tmp_path,
        {
            "Dockerfile": EMOJI,
            "sub dir/app.Dockerfile": BARE,
            "bad/Dockerfile": "FROM a\nRUN <<EOF\n",
            "clean/Dockerfile": "# syntax=docker/dockerfile:1\nFROM a\n",
        },
    )
    return tmp_path


def test_sarif_matches_the_official_schema(sarif_tree: Path) -> None:
    schema = json.loads((_multitool() / "sarif-2.1.0.json").read_text())
    for args in [(), ("--check",), ("--unsafe-fixes",), ("--select", "DF001")]:
        jsonschema.validate(_sarif(sarif_tree, *args), schema, cls=jsonschema.Draft202012Validator)


def test_sarif_passes_the_sarif_multitool_validator(sarif_tree: Path, tmp_path: Path) -> None:
    log = sarif_tree / "out.sarif"
    log.write_text(json.dumps(_sarif(sarif_tree)))
    report = tmp_path / "validation.sarif"
    subprocess.run(
        [_multitool() / "Sarif.Multitool", "validate", "--output", report, log],
        check=True,
        capture_output=True,
        timeout=300,
    )
    problems = [
        f"{r['ruleId']}: {r['message']}"
        for run_ in json.loads(report.read_text())["runs"]
        for r in run_.get("results", [])
    ]
    assert problems == []


def test_sarif_regions_are_exact_in_utf16_code_units(sarif_tree: Path) -> None:
    (run_,) = _sarif(sarif_tree, *ONLY)["runs"]
    assert run_["columnKind"] == "utf16CodeUnits"
    by_file = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]: r for r in run_["results"]
    }
    assert set(by_file) == {"Dockerfile", "sub%20dir/app.Dockerfile"}
    emoji = by_file["Dockerfile"]
    assert emoji["ruleId"] == "DF001"
    assert emoji["locations"][0]["physicalLocation"]["region"] == {
        "startLine": 1,
        "startColumn": 1,
        "endLine": 1,
        "endColumn": 13,  # 10 code points, 2 of them surrogate pairs; exclusive
    }
    assert emoji["fixes"][0]["artifactChanges"][0]["replacements"] == [
        {
            "deletedRegion": {"startLine": 1, "startColumn": 1, "endLine": 1, "endColumn": 1},
            "insertedContent": {"text": "# syntax=docker/dockerfile:1\n"},
        }
    ]
    rules = run_["tool"]["driver"]["rules"]
    assert rules[emoji["ruleIndex"]]["id"] == "DF001"
    assert run_["originalUriBaseIds"]["%SRCROOT%"]["uri"] == sarif_tree.as_uri() + "/"
    (invocation,) = run_["invocations"]
    assert invocation["executionSuccessful"] is False
    (notification,) = invocation["toolExecutionNotifications"]
    assert notification["level"] == "error"
    assert notification["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == (
        "bad/Dockerfile"
    )


def test_json_output(tmp_path: Path) -> None:
    write(tmp_path, {"Dockerfile": EMOJI, "bad/Dockerfile": "FROM a\nRUN <<EOF\n"})
    result = run("--format", "json", *ONLY, cwd=tmp_path)
    assert result.returncode == 2
    payload = json.loads(result.stdout)
    assert set(payload) == {
        "version", "mode", "diagnostics", "fixes", "errors", "files", "summary", "statistics"
    }  # fmt: skip
    (diagnostic,) = payload["diagnostics"]
    assert diagnostic | {"message": "..."} == {
        "filename": "Dockerfile",
        "code": "DF001",
        "name": "SyntaxDirective",
        "message": "...",
        "severity": "warning",
        "location": {"line": 1, "column": 1},
        "end_location": {"line": 1, "column": 11},  # code points
        "fix": {
            "applicability": "safe",
            "applicable": True,
            "message": "Add `# syntax=docker/dockerfile:1`",
            "edits": [
                {
                    "content": "# syntax=docker/dockerfile:1\n",
                    "location": {"line": 1, "column": 1},
                    "end_location": {"line": 1, "column": 1},
                }
            ],
        },
        "url": diagnostic["url"],
        "build_flags": [],
    }
    (error,) = payload["errors"]
    assert error["filename"] == "bad/Dockerfile"
    assert error["kind"] == "parse"
    assert error["location"]["line"] >= 2
    assert payload["summary"] == {
        "files": 2, "changed": 0, "unparsable": 1, "errors": 1, "diagnostics": 1, "fixes": 1
    }  # fmt: skip
    assert payload["statistics"] == [
        {"code": "DF001", "name": "SyntaxDirective", "found": 1, "fixes": 1}
    ]
    # The summary goes to stderr, so stdout stays machine-readable.
    assert "1 problem" in result.stderr


def test_json_check_lists_the_fixes_that_would_be_applied(tmp_path: Path) -> None:
    write(tmp_path, {"Dockerfile": BARE})
    payload = json.loads(run("--check", "--format", "json", *ONLY, cwd=tmp_path).stdout)
    assert payload["mode"] == "check"
    assert [f["code"] for f in payload["fixes"]] == ["DF001"]
    assert payload["files"] == [{"filename": "Dockerfile", "changed": True, "build_flags": []}]


def test_github_annotations(tmp_path: Path) -> None:
    write(tmp_path, {"Dockerfile": EMOJI, "bad/Dockerfile": "FROM a\nRUN <<EOF\n"})
    result = run("--format", "github", *ONLY, cwd=tmp_path)
    lines = result.stdout.splitlines()
    assert lines[0].startswith(
        "::warning file=Dockerfile,line=1,col=1,endLine=1,endColumn=11,"
        "title=DF001 SyntaxDirective::missing `# syntax=` directive"
    )
    assert lines[1].startswith("::error file=bad/Dockerfile,title=dockerfix,line=")


def _finding(**changes: Any) -> Finding:
    values: dict[str, Any] = {
        "code": "BK016",
        "name": "SecretsUsedInArgOrEnv",
        "message": "50% of\nsecrets",
        "severity": "error",
        "range": Range(2, 1, 2, 14, 1, 14),
        "fix": "unsafe",
        "fix_title": "Use a secret mount",
        "applicable": True,
        "build_flags": ("--secret id=NPM_TOKEN,env=NPM_TOKEN",),
    }
    return Finding(**(values | changes))


def test_github_escapes_data_and_properties() -> None:
    result = FileResult("a,b:c/Dockerfile", findings=(_finding(),))
    output = github.render(Run(Mode.REPORT, unsafe=False, results=[result]))
    assert output.stdout == (
        "::error file=a%2Cb%3Ac/Dockerfile,line=2,col=1,endLine=2,endColumn=14,"
        "title=BK016 SecretsUsedInArgOrEnv::50%25 of%0Asecrets\n"
    )


def test_summary_lists_fixes_by_rule_and_the_build_flags_files_now_need() -> None:
    fix = _finding()
    results = [
        FileResult(
            "app/Dockerfile",
            fixes=(fix, _finding(code="DF001", name="SyntaxDirective", build_flags=())),
            changed=True,
            build_flags=fix.build_flags,
        ),
        FileResult("web/Dockerfile", fixes=(fix,), changed=True, build_flags=fix.build_flags),
        FileResult("ok/Dockerfile"),
        FileResult("bad/Dockerfile", error=FileError("parse", "unterminated heredoc", 2, 5)),
        FileResult("bin/Dockerfile", error=FileError("input", "binary file")),
    ]
    lines = text.summary(Run(Mode.WRITE, unsafe=True, results=results))
    assert lines == [
        "5 files scanned: 2 changed, 1 unparsable, 1 with errors.",
        "Fixes applied, by rule:",
        "      2  BK016  SecretsUsedInArgOrEnv",
        "      1  DF001  SyntaxDirective",
        "Build flags the fixed files now need:",
        "  app/Dockerfile: --secret id=NPM_TOKEN,env=NPM_TOKEN",
        "  web/Dockerfile: --secret id=NPM_TOKEN,env=NPM_TOKEN",
        "No problems left.",
    ]
    assert text.error_lines(Run(Mode.WRITE, unsafe=True, results=results)) == [
        "bad/Dockerfile:2:5: error: cannot parse: unterminated heredoc",
        "bin/Dockerfile: error: binary file",
    ]


def test_report_mode_summary_counts_hidden_unsafe_fixes() -> None:
    findings = (_finding(applicable=False), _finding(code="DF001", fix="safe", build_flags=()))
    result = FileResult("Dockerfile", findings=findings, remaining=findings)
    run_ = Run(Mode.REPORT, unsafe=False, results=[result])
    assert [text.finding_line("Dockerfile", f, run_) for f in findings] == [
        "Dockerfile:2:1: BK016 [!] 50% of\nsecrets",
        "Dockerfile:2:1: DF001 [*] 50% of\nsecrets",
    ]
    assert text.summary(run_)[-1] == (
        "Found 2 problems (1 [*] fixable with --write; 1 [!] fixable with --write --unsafe-fixes)."
    )
