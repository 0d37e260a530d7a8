"""BuildKit build checks #1-#11 (BK001-BK011): triggers, messages, locations and fixes.

The rules' own VALID/INVALID examples are collected by test_rule_examples.py; these tables
pin the corners of BuildKit's trigger logic (cited in each rule's docstring) and of the fixes.
"""

from __future__ import annotations

import pytest

from dockerfix.config import Config
from dockerfix.engine import check, fix
from dockerfix.rules._buildkit import process_word, suggest
from dockerfix.rules.json_args_recommended import exec_form
from dockerfix.rules.maintainer_deprecated import label_value
from dockerfix.syntax import parse


def found(source: str, code: str) -> list[tuple[int, str]]:
    return [(d.location.line, d.message) for d in check(source, Config(select=(code,)))]


def fixed(source: str, code: str, *, unsafe: bool = False) -> str:
    result = fix(source, Config(select=(code,)), unsafe=unsafe)
    again = fix(result.text, Config(select=(code,)), unsafe=unsafe)
    assert again.text == result.text, "the fix is not idempotent"
    parse(result.text)
    return result.text


# -- BuildKit's variable expansion (shell/lex.go) ---------------------------------------------


@pytest.mark.parametrize(
    ("word", "result", "unmatched"),
    [
        ("$A", "a", ()),
        ("${B:-d}", "d", ("B",)),
        ("${B-d}", "d", ("B",)),
        ("${A:+$C}", "", ("C",)),
        ("${B:+$C}", "", ("C", "B")),  # the word is read before the variable is looked up
        ("\"$D\" '$E'", " $E", ("D",)),
        ("\\$F", "$F", ()),
        ("$@ $1 $$", "  ", ("@", "1", "$")),
        ("$", "$", ()),
        ("${A%a}", "", ()),
        ("${A#*}", "a", ()),
        ("${X/a/b}", "", ("X",)),
        ("a$B_c", "a", ("B_c",)),
    ],
)
def test_process_word(word: str, result: str, unmatched: tuple[str, ...]) -> None:
    expansion = process_word(word, {"A": "a"})
    assert (expansion.result, expansion.unmatched) == (result, unmatched)


def test_process_word_keeps_what_it_saw_before_an_error() -> None:
    expansion = process_word("$X ${Y", {})
    assert expansion.error is not None
    assert expansion.unmatched == ("X",)


def test_heredoc_expansion_skips_quotes() -> None:
    assert process_word("'$A'", {"A": "a"}, skip_quotes=True).result == "'a'"


@pytest.mark.parametrize(
    ("value", "options", "expected"),
    [
        ("PAHT", ["PATH"], "PATH"),
        ("PATH", ["PATH", "PAT"], ""),  # an exact match means no suggestion
        ("TAG", ["ALPINE_VERSION"], ""),
        ("VERSON", ["V", "VERSION"], "VERSION"),
        ("AB", ["AC", "AD"], "AC"),  # ties: the first option
    ],
)
def test_suggest(value: str, options: list[str], expected: str) -> None:
    assert suggest(value, options) == expected


# -- BK001 StageNameCasing ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (
            "FROM a AS Base\nFROM Base\nFROM base\nCOPY --from=BASE /x /x\n",
            "FROM a AS base\nFROM base\nFROM base\nCOPY --from=base /x /x\n",
        ),
        (  # RUN --mount=from= anywhere in the mount, any key case
            "FROM a AS Deps\nFROM b\nRUN --mount=target=/n,FROM=Deps,source=/n true\n",
            "FROM a AS deps\nFROM b\nRUN --mount=target=/n,FROM=deps,source=/n true\n",
        ),
        (  # ONBUILD triggers name stages of the downstream build: untouched
            "FROM a AS Base\nONBUILD COPY --from=Base /x /x\n",
            "FROM a AS base\nONBUILD COPY --from=Base /x /x\n",
        ),
        (  # a FROM before the definition is an image, not the stage
            "FROM Base AS x\nFROM a AS Base\n",
            "FROM Base AS x\nFROM a AS base\n",
        ),
        (  # names that only start alike are other stages
            "FROM a AS Base\nFROM b AS base2\nCOPY --from=base2 /x /x\n",
            "FROM a AS base\nFROM b AS base2\nCOPY --from=base2 /x /x\n",
        ),
    ],
)
def test_stage_name_casing_renames_references(source: str, expected: str) -> None:
    assert fixed(source, "BK001") == expected


def test_stage_name_casing_location_is_the_name() -> None:
    (diagnostic,) = check("FROM alpine AS BuilderBase\n", Config(select=("BK001",)))
    assert (diagnostic.location.column, diagnostic.end_location.column) == (16, 27)
    assert diagnostic.message == "Stage name 'BuilderBase' should be lowercase"


# -- BK002 FromAsCasing ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "messages"),
    [
        ("FROM a as b\n", [(1, "'as' and 'FROM' keywords' casing do not match")]),
        ("from a AS b\n", [(1, "'AS' and 'from' keywords' casing do not match")]),
        ("FROM a As b\n", [(1, "'As' and 'FROM' keywords' casing do not match")]),
        ("fROM a as b\n", []),  # mixed-case FROM: left to ConsistentInstructionCasing
        ("FROM a\n", []),
    ],
)
def test_from_as_casing_trigger(source: str, messages: list[tuple[int, str]]) -> None:
    assert found(source, "BK002") == messages


# -- BK003 NoEmptyContinuation --------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "lines"),
    [
        ("FROM a\nRUN a \\\n\n  b\n", [4]),  # reported where the instruction ends
        ("FROM a\nRUN a \\\n\n  b \\\n\n  c\n", [6]),  # once per instruction
        ("FROM a\nRUN a \\\n\n", [3]),  # continuation running into the end of the file
        ("FROM a\nONBUILD RUN a \\\n\n  b\n", [4]),
        ("ARG A=1 \\\n\n  B=2\nFROM a\n", [3]),  # before the first FROM too
        ("FROM a\nRUN a \\\n  # c\n  b\n", []),  # a comment line is not empty
        ("FROM a\nRUN <<EOF\na\n\nEOF\n", []),  # heredoc bodies are not continuations
    ],
)
def test_no_empty_continuation_lines(source: str, lines: list[int]) -> None:
    assert [line for line, _ in found(source, "BK003")] == lines


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("FROM a\nRUN a \\\n\n\n  b\n", "FROM a\nRUN a \\\n  b\n"),
        ("FROM a\nRUN a \\\n   \t\n  b\n", "FROM a\nRUN a \\\n  b\n"),
        # The blank line swallowed the next instruction; it still does, now visibly.
        ("FROM a\nRUN a \\\n\nRUN b\n", "FROM a\nRUN a \\\nRUN b\n"),
        (
            "FROM a\nCOPY <<EOF \\\n\n  /x\nhello\n\nEOF\n",
            "FROM a\nCOPY <<EOF \\\n  /x\nhello\n\nEOF\n",
        ),
    ],
)
def test_no_empty_continuation_fix(source: str, expected: str) -> None:
    assert fixed(source, "BK003") == expected


# -- BK004 ConsistentInstructionCasing ------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "messages"),
    [
        (  # a tie means upper case
            "from a\nRUN b\n",
            [(1, "Command 'from' should match the case of the command majority (uppercase)")],
        ),
        (  # global ARGs neither vote nor are checked (they are not in a stage)
            "ARG A\nARG B\nfrom a\nrun b\nRUN c\n",
            [(5, "Command 'RUN' should match the case of the command majority (lowercase)")],
        ),
        (  # mixed-case keywords do not vote, and are always reported
            "From a\nRun b\nrun c\n",
            [
                (1, "Command 'From' should match the case of the command majority (lowercase)"),
                (2, "Command 'Run' should match the case of the command majority (lowercase)"),
            ],
        ),
        (  # the trigger of an ONBUILD is checked too (beyond BuildKit), but does not vote
            "FROM a\nONBUILD run b\nonbuild RUN c\n",
            [
                (2, "Command 'run' should match the case of the command majority (uppercase)"),
                (3, "Command 'onbuild' should match the case of the command majority (uppercase)"),
            ],
        ),
    ],
)
def test_consistent_instruction_casing_majority(
    source: str, messages: list[tuple[int, str]]
) -> None:
    assert found(source, "BK004") == messages


def test_consistent_instruction_casing_fix_keeps_the_rest() -> None:
    source = 'FROM a AS b\nRun \\\n  echo Run\nonbuild Run x\nCmd ["Run"]\n'
    expected = 'FROM a AS b\nRUN \\\n  echo Run\nONBUILD RUN x\nCMD ["Run"]\n'
    assert fixed(source, "BK004") == expected


# -- BK005 DuplicateStageName, BK006 ReservedStageName -------------------------------------


def test_duplicate_stage_name_reports_later_definitions() -> None:
    source = "FROM a AS x\nFROM b AS y\nFROM c AS X\nFROM d AS x\n"
    message = 'Duplicate stage name "x", stage names should be unique'
    assert found(source, "BK005") == [(3, message), (4, message)]


def test_reserved_stage_name_message() -> None:
    assert found("FROM a AS Context\n", "BK006") == [
        (1, 'Stage name should not use the same name as reserved stage "context"')
    ]


# -- BK007 JSONArgsRecommended --------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("node server.js", ["node", "server.js"]),
        ("nginx -g daemon-off", ["nginx", "-g", "daemon-off"]),
        ("exec java -jar /app.jar", ["java", "-jar", "/app.jar"]),
        ("gunicorn -b 0.0.0.0:8000 app:app", ["gunicorn", "-b", "0.0.0.0:8000", "app:app"]),
        ("echo $HOME", "the command uses shell syntax"),
        ("nginx -g 'daemon off;'", "the command uses shell syntax"),
        ("a && b", "the command uses shell syntax"),
        ("ls *.txt", "the command uses shell syntax"),
        ("cat ~/.profile", "the command uses shell syntax"),
        ("run > log", "the command uses shell syntax"),
        ("FOO=1 app", "the command starts with a variable assignment"),
        ("cd /app", "`cd` is a shell built-in"),
        ("exec -a x y", "`exec` is a shell built-in"),
        ("", "the command is empty"),
    ],
)
def test_exec_form(command: str, expected: list[str] | str) -> None:
    assert exec_form(command) == expected


@pytest.mark.parametrize(
    ("source", "lines"),
    [
        ("FROM a\nCMD x\nENTRYPOINT y\n", [2, 3]),
        ('FROM a\nSHELL ["/bin/sh", "-c"]\nCMD x\n', []),
        ('FROM a\nCMD x\nSHELL ["/bin/sh", "-c"]\n', [2]),  # only a SHELL before it counts
        ('FROM a AS base\nSHELL ["/bin/sh", "-c"]\nFROM base\nCMD x\n', []),  # inherited
        ('FROM a AS base\nSHELL ["/bin/sh", "-c"]\nFROM a\nCMD x\n', [4]),  # not inherited
        ("FROM a AS base\nONBUILD CMD x\nFROM base\n", [3]),  # the trigger runs at FROM base
    ],
)
def test_json_args_recommended_trigger(source: str, lines: list[int]) -> None:
    assert [line for line, _ in found(source, "BK007")] == lines


@pytest.mark.parametrize(
    ("source", "safe", "unsafe"),
    [
        ("FROM a\nCMD x y\n", 'FROM a\nCMD ["x", "y"]\n', 'FROM a\nCMD ["x", "y"]\n'),
        # ENTRYPOINT: CMD and `docker run` arguments would reach the program: unsafe.
        ("FROM a\nENTRYPOINT x\n", "FROM a\nENTRYPOINT x\n", 'FROM a\nENTRYPOINT ["x"]\n'),
        # A CMD in a stage built from this one would be passed on too: no fix.
        ('FROM a AS b\nENTRYPOINT x\nFROM b\nCMD ["y"]\n',) * 3,
        # An exec-form ENTRYPOINT receives the CMD words: unsafe.
        (
            'FROM a AS b\nENTRYPOINT ["x"]\nFROM b\nCMD y\n',
            'FROM a AS b\nENTRYPOINT ["x"]\nFROM b\nCMD y\n',
            'FROM a AS b\nENTRYPOINT ["x"]\nFROM b\nCMD ["y"]\n',
        ),
        # A comment inside the arguments would be lost: no fix.
        ("FROM a\nCMD x \\\n  # c\n  y\n",) * 3,
        # Windows images run shell form with cmd /S /C: no fix.
        ("FROM mcr.microsoft.com/windows/servercore:ltsc2022\nCMD x\n",) * 3,
        ("# escape=`\nFROM a\nCMD x `\n  y\n", '# escape=`\nFROM a\nCMD ["x", "y"]\n', None),
    ],
)
def test_json_args_recommended_fix(source: str, safe: str, unsafe: str | None) -> None:
    assert fixed(source, "BK007") == safe
    assert fixed(source, "BK007", unsafe=True) == (unsafe or safe)


# -- BK008 MaintainerDeprecated -------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "escape", "expected"),
    [
        ("me@example.com", "\\", '"me@example.com"'),
        ('"Jane Doe" <jane@example.com>', "\\", '"\\"Jane Doe\\" <jane@example.com>"'),
        ("$USER \\o/", "\\", '"\\$USER \\\\o/"'),
        ("C:\\x `y`", "`", '"C:\\x ``y``"'),
        ('say "hi"', "`", '"say `"hi`""'),
    ],
)
def test_label_value(value: str, escape: str, expected: str) -> None:
    assert label_value(value, escape) == expected


@pytest.mark.parametrize(
    "value",
    ["me", '"Jane" <j@x>', "$HOME ${X:-y} \\$z", "a\\b", "tab\there", "é ü 中"],
)
def test_maintainer_label_reads_back_the_same(value: str) -> None:
    source = f"FROM a\nMAINTAINER {value}\n"
    result = fixed(source, "BK008")
    (label,) = [i for i in parse(result).instructions if i.name == "LABEL"]
    (_, raw, _) = label.buildkit_arguments[0]
    assert process_word(raw, {}).result == value


def test_maintainer_fix_keeps_comments_outside_the_instruction() -> None:
    source = "FROM a\n# who\nMAINTAINER me\nRUN x\n"
    expected = '# who\nLABEL org.opencontainers.image.authors="me"\n'
    assert expected in fixed(source, "BK008")


# -- BK009 UndefinedArgInFrom ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "messages"),
    [
        ("FROM alpine:$V\n", [(1, "FROM argument 'V' is not declared")]),
        ("ARG V\nFROM alpine:$V\n", []),  # declared without a default is enough
        ("FROM alpine\nARG V\nFROM alpine:$V\n", [(3, "FROM argument 'V' is not declared")]),
        ("FROM alpine:${V:-3}\n", [(1, "FROM argument 'V' is not declared")]),
        ("FROM --platform=$TARGETPLATFORM alpine:$TARGETARCH\n", []),
        (
            "FROM --platform=$BUILDPLATFROM alpine\n",
            [(1, "FROM argument 'BUILDPLATFROM' is not declared (did you mean BUILDPLATFORM?)")],
        ),
        ("ARG A=$B\nFROM alpine:$A\n", []),  # only FROM lines are checked
    ],
)
def test_undefined_arg_in_from_trigger(source: str, messages: list[tuple[int, str]]) -> None:
    assert found(source, "BK009") == messages


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("FROM a:$V\n", "ARG V\nFROM a:$V\n"),
        ("\ufeffFROM a:$V\n", "\ufeffARG V\nFROM a:$V\n"),
        (
            "# syntax=docker/dockerfile:1\n\nFROM a:$V\n",
            "# syntax=docker/dockerfile:1\n\nARG V\nFROM a:$V\n",
        ),
        ("ARG ALPINE=1\n\nFROM a:$V\n", "ARG ALPINE=1\nARG V\n\nFROM a:$V\n"),
        ("FROM a:$VARIANT-$FLAVOR\n", "ARG VARIANT\nARG FLAVOR\nFROM a:$VARIANT-$FLAVOR\n"),
    ],
)
def test_undefined_arg_in_from_declares(source: str, expected: str) -> None:
    assert fixed(source, "BK009") == expected


def test_undefined_arg_in_from_suggestion_is_unsafe() -> None:
    source = "ARG ALPINE_VERSION=3.20\nFROM alpine:${ALPINE_VERSON}\n"
    assert fixed(source, "BK009") == source
    assert fixed(source, "BK009", unsafe=True) == source.replace("VERSON", "VERSION")


# -- BK010 WorkdirRelativePath --------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "messages"),
    [
        (
            "FROM a\nWORKDIR app\nWORKDIR src\n",
            [(2, 'Relative workdir "app" can have unexpected results if the base image changes')],
        ),
        ("FROM a\nWORKDIR /app\nWORKDIR src\n", []),
        (  # checked after expansion
            "FROM a\nENV D=rel\nWORKDIR $D/x\n",
            [(3, 'Relative workdir "rel/x" can have unexpected results if the base image changes')],
        ),
        ("FROM a AS b\nWORKDIR /x\nFROM b\nWORKDIR y\n", []),  # inherited from the parent stage
        (
            "FROM a AS b\nWORKDIR /x\nFROM a\nWORKDIR y\n",
            [(4, 'Relative workdir "y" can have unexpected results if the base image changes')],
        ),
        ("FROM mcr.microsoft.com/windows/nanoserver:ltsc2022\nWORKDIR C:\\\\app\n", []),
        (
            "FROM mcr.microsoft.com/windows/nanoserver:ltsc2022\nWORKDIR app\n",
            [(2, 'Relative workdir "app" can have unexpected results if the base image changes')],
        ),
        (  # a WORKDIR in an ONBUILD trigger runs where a stage is built FROM this one
            "FROM a AS b\nONBUILD WORKDIR app\nFROM b\n",
            [(3, 'Relative workdir "app" can have unexpected results if the base image changes')],
        ),
    ],
)
def test_workdir_relative_path_trigger(source: str, messages: list[tuple[int, str]]) -> None:
    assert found(source, "BK010") == messages


@pytest.mark.parametrize(
    ("source", "safe", "unsafe"),
    [
        ("FROM scratch\nWORKDIR a/../b/\n", "FROM scratch\nWORKDIR /b/\n", None),
        ("FROM golang\nWORKDIR src\n", None, "FROM golang\nWORKDIR /go/src\n"),
        (
            "FROM alpine AS b\nFROM b\nWORKDIR src\n",
            None,
            "FROM alpine AS b\nFROM b\nWORKDIR /src\n",
        ),
        ('FROM scratch\nWORKDIR "a b"\n', None, None),
        ("FROM private/img\nWORKDIR a\n", None, None),
    ],
)
def test_workdir_relative_path_fix(source: str, safe: str | None, unsafe: str | None) -> None:
    assert fixed(source, "BK010") == (safe or source)
    assert fixed(source, "BK010", unsafe=True) == (unsafe or safe or source)


# -- BK011 UndefinedVar ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        # A global ARG must be re-declared in the stage.
        ("ARG V=1\nFROM a\nENV X=$V\n", [(3, "$V")]),
        ("ARG V=1\nFROM a\nARG V\nENV X=$V\n", []),
        # All pairs of one ENV see the environment from before it.
        ("FROM a\nENV A=1 B=$A\nENV C=$A\n", [(2, "$A")]),
        # Inherited through FROM <stage>, with the stage's ARGs.
        ("FROM a AS b\nARG X\nENV Y=1\nFROM b\nENV Z=$X$Y\n", []),
        ("FROM a AS b\nENV Y=1\nFROM a\nENV Z=$Y\n", [(4, "$Y")]),
        # What BuildKit expands, and reports.
        (
            "FROM a\nCOPY --chown=$U:$G --chmod=$M $S $D\n",
            [(2, "$U"), (2, "$G"), (2, "$M"), (2, "$S"), (2, "$D")],
        ),
        ("FROM a\nADD --checksum=$C http://x/y /z\n", [(2, "$C")]),
        ("FROM a\nRUN --mount=type=cache,id=$I,target=/c true\n", [(2, "$I")]),
        (
            "FROM a\nUSER $U\nVOLUME $V\nSTOPSIGNAL $S\nLABEL $K=$L\n",
            [(2, "$U"), (3, "$V"), (4, "$S"), (5, "$K"), (5, "$L")],
        ),
        ("FROM a\nCOPY <<EOF /x\n${P:-1} \\$q '$r'\nEOF\n", [(3, "$P"), (3, "$r")]),
        # What BuildKit leaves to the shell or does not report.
        ("FROM a\nRUN echo $X\nCMD $X\nENTRYPOINT $X\nHEALTHCHECK CMD $X\nEXPOSE $X\n", []),
        ('FROM a\nRUN ["sh", "-c", "$X"]\nCOPY <<"EOF" /x\n$X\nEOF\n', []),
        ("FROM a\nENV A='$X' B=\\$Y\n", []),
        # Always defined: PATH, automatic args once declared, the official images' Env.
        ("FROM scratch\nENV P=$PATH\n", []),
        ("FROM a\nARG TARGETARCH\nENV T=$TARGETARCH\n", []),
        ("FROM golang:1.23\nENV G=$GOPATH/bin\n", []),
        ("FROM eclipse-temurin:21\nENV J=$JAVA_HOME\n", []),
        ("FROM example.com/app\nENV A=$APP_HOME\n", [(2, "$APP_HOME")]),
        # Triggers of a parent stage run (and are reported) at the child's FROM.
        ("FROM a AS b\nONBUILD ENV X=$Q\nFROM b\n", [(3, "$Q")]),
    ],
)
def test_undefined_var_findings(source: str, expected: list[tuple[int, str]]) -> None:
    got = found(source, "BK011")
    assert [(line, message.split("'")[1]) for line, message in got] == expected


def test_undefined_var_points_at_the_reference() -> None:
    (diagnostic,) = check("FROM a\nENV A=1 \\\n    B=$TYPO\n", Config(select=("BK011",)))
    assert (diagnostic.location.line, diagnostic.location.column) == (3, 7)
    assert diagnostic.end_location.column == 12


def test_undefined_var_suggests_a_close_name() -> None:
    assert found("FROM a\nENV PATH=$PAHT:/app/bin\n", "BK011") == [
        (2, "Usage of undefined variable '$PAHT' (did you mean $PATH?)")
    ]


def test_buildkit_check_skip_comment_silences_the_rule() -> None:
    source = "FROM a\n# check=skip=UndefinedVar\nENV A=$X\nENV B=$Y\n"
    assert [line for line, _ in found(source, "BK011")] == [4]
