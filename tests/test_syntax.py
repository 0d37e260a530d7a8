"""The tree's API, as a spec: what each view returns for a given Dockerfile."""

from __future__ import annotations

import pytest

from dockerfix import ParseError, parse
from dockerfix.syntax import Comment, Location


def only(text: str):  # type: ignore[no-untyped-def]
    (instruction,) = parse(text).instructions
    return instruction


@pytest.mark.parametrize(
    ("src", "keyword", "name", "value"),
    [
        ("FROM alpine\n", "FROM", "FROM", "alpine"),
        ("run echo hi\n", "run", "RUN", "echo hi"),
        ("Run  echo   hi  \n", "Run", "RUN", "echo   hi"),
        ("RUN echo a\\\nb\n", "RUN", "RUN", "echo ab"),
        ("RUN echo a \\  \n  b\n", "RUN", "RUN", "echo a   b"),
        ("RUN apt-get install \\\n  # pinned\n  curl\n", "RUN", "RUN", "apt-get install   curl"),
        ("RUN a \\\n\n  b\n", "RUN", "RUN", "a   b"),
        ("RUN echo foo \\\\\n", "RUN", "RUN", "echo foo \\\\"),
        ("RUN something \\", "RUN", "RUN", "something"),
        ("  RUN x\n", "RUN", "RUN", "x"),
        ("BOGUS whatever\n", "BOGUS", "BOGUS", "whatever"),
        ("\ufeffFROM a\r\n", "FROM", "FROM", "a"),
    ],
)
def test_keyword_and_value(src: str, keyword: str, name: str, value: str) -> None:
    instruction = only(src)
    assert (instruction.keyword, instruction.name, instruction.value) == (keyword, name, value)


@pytest.mark.parametrize(
    ("src", "flags"),
    [
        ("RUN --mount=type=cache,target=/x apk add\n", [("mount", "type=cache,target=/x")]),
        ('RUN --mount="type=cache,target=/a b" x\n', [("mount", "type=cache,target=/a b")]),
        ("COPY --link --chown=1:1 a b\n", [("link", None), ("chown", "1:1")]),
        ("RUN -- --not-a-flag\n", []),
        ("RUN echo --not-a-flag\n", []),
        (
            "RUN --network=none \\\n    --mount=type=secret,id=x cmd\n",
            [("network", "none"), ("mount", "type=secret,id=x")],
        ),
        ("ONBUILD RUN --mount=type=cache,target=/c x\n", []),
    ],
)
def test_flags(src: str, flags: list[tuple[str, str | None]]) -> None:
    assert [(f.name, f.value) for f in only(src).flags] == flags


def test_mount_options_keep_order_and_bare_keys() -> None:
    (flag,) = only("RUN --mount=type=secret,id=tok,required,target=/run/t cmd\n").flags
    assert flag.options == (
        ("type", "secret"),
        ("id", "tok"),
        ("required", None),
        ("target", "/run/t"),
    )
    assert flag.option("id") == "tok"


def test_onbuild_trigger_is_an_instruction() -> None:
    instruction = only("ONBUILD RUN --mount=type=cache,target=/c pip install .\n")
    assert instruction.trigger is not None
    assert instruction.trigger.name == "RUN"
    assert [f.value_text for f in instruction.trigger.flags] == ["--mount=type=cache,target=/c"]
    assert instruction.dump() == 'onbuild (run ["--mount=type=cache,target=/c"] "pip install .")'


@pytest.mark.parametrize(
    ("src", "json"),
    [
        ('CMD ["node", "app.js"]\n', ["node", "app.js"]),
        ('CMD ["node", "app.js"] \n', ["node", "app.js"]),
        ('CMD ["node", "app.js"] # note\n', None),
        ("CMD ['node', 'app.js']\n", None),
        ('CMD ["c:\\windows"]\n', None),
        ('ENTRYPOINT ["a",\\\n  "b"]\n', ["a", "b"]),
        ("CMD []\n", []),
        ('HEALTHCHECK CMD ["curl", "-f", "x"]\n', ["curl", "-f", "x"]),
        ("RUN echo hi\n", None),
        ('COPY ["a b", "/c"]\n', ["a b", "/c"]),
    ],
)
def test_json_exec_form(src: str, json: list[str] | None) -> None:
    assert only(src).json == json


def test_json_array_of_non_strings_is_an_error() -> None:
    with pytest.raises(ParseError, match="arrays must be comprised of strings only") as error:
        parse('FROM a\nCMD ["node", 8080]\n')
    assert (error.value.line, error.value.column) == (2, 5)


@pytest.mark.parametrize(
    ("src", "heredocs"),
    [
        ("RUN <<EOF\necho hi\nEOF\n", [("EOF", "echo hi\n", False, False)]),
        ("RUN <<-EOF\n\techo hi\n\tEOF\n", [("EOF", "\techo hi\n", True, False)]),
        ("RUN <<'EOF' bash\necho $HOME\nEOF\n", [("EOF", "echo $HOME\n", False, True)]),
        (
            'COPY <<"A" <<B /dst/\na\nA\nb\nB\n',
            [("A", "a\n", False, True), ("B", "b\n", False, False)],
        ),
        ("RUN <<EOF\r\nx\r\nEOF\r\n", [("EOF", "x\r\n", False, False)]),
        ("RUN <<EOF\nEOF", [("EOF", "", False, False)]),
        ("ONBUILD RUN <<EOF\nx\nEOF\n", [("EOF", "x\n", False, False)]),
        ("RUN --mount=type=cache,target=/c \\\n  <<EOF\nx\nEOF\n", [("EOF", "x\n", False, False)]),
    ],
)
def test_heredocs(src: str, heredocs: list[tuple[str, str, bool, bool]]) -> None:
    got = [(h.name, h.content, h.chomp, h.quoted) for h in only(src).heredocs]
    assert got == heredocs


@pytest.mark.parametrize(
    "src",
    [
        "RUN cat<<EOF\nFROM a\n",  # not a heredoc: the word does not start with <<
        'RUN ["<<EOF"]\n',  # exec form has no heredocs
        "USER <<INVALID\n",  # only RUN, COPY and ADD take heredocs
        "RUN <<- EOF\n",  # a space after the dash splits the word
    ],
)
def test_not_heredocs(src: str) -> None:
    assert all(not i.heredocs for i in parse(src).instructions)


@pytest.mark.parametrize(
    ("src", "message", "line", "column"),
    [
        ("", "file with no instructions", 1, 1),
        ("# just a comment\n\n", "file with no instructions", 1, 1),
        ("FROM a\nRUN <<EOF\necho\n", "unterminated heredoc <<EOF", 2, 5),
        ("FROM a\nENV single\n", "ENV must have two arguments", 2, 5),
        ("FROM a\nLABEL a=b c\n", 'Syntax error - can\'t find = in "c"', 2, 7),
        ("# escape=x\nFROM a\n", "invalid escape token 'x' does not match ` or \\", 1, 1),
        ("# syntax=a\n# SYNTAX=b\nFROM a\n", "only one syntax parser directive can be used", 2, 1),
        (
            "FROM a\nRUN " + "x" * 65_536 + "\n",
            "dockerfile line greater than max allowed size",
            2,
            1,
        ),
    ],
)
def test_parse_errors(src: str, message: str, line: int, column: int) -> None:
    with pytest.raises(ParseError) as error:
        parse(src)
    assert message in error.value.message
    assert (error.value.line, error.value.column) == (line, column)
    assert str(error.value).startswith(f"{line}:{column}: ")
    assert "\n" not in str(error.value)


def test_parse_error_is_a_value_error() -> None:
    assert issubclass(ParseError, ValueError)


@pytest.mark.parametrize(
    ("src", "directives", "escape"),
    [
        ("# syntax=docker/dockerfile:1\nFROM a\n", [("syntax", "docker/dockerfile:1")], "\\"),
        ("# SYNTAX = docker/dockerfile:1\nFROM a\n", [("syntax", "docker/dockerfile:1")], "\\"),
        ("# escape=`\nFROM a\nRUN a `\n b\n", [("escape", "`")], "`"),
        ("#!/bin/sh\n# escape=`\nFROM a\n", [], "\\"),
        ("\n# syntax=x\nFROM a\n", [], "\\"),
        ("# foo=bar\n# syntax=x\nFROM a\n", [], "\\"),
        (
            "# syntax=x\n# check=skip=all\n# escape=\\\nFROM a\n",
            [("syntax", "x"), ("check", "skip=all"), ("escape", "\\")],
            "\\",
        ),
    ],
)
def test_directives(src: str, directives: list[tuple[str, str]], escape: str) -> None:
    tree = parse(src)
    assert [(d.name, d.value) for d in tree.directives] == directives
    assert tree.escape == escape


def test_backtick_escape_joins_lines() -> None:
    tree = parse("# escape=`\nFROM a\nRUN dir c:\\ `\n  /s\n")
    assert tree.instructions[1].value == "dir c:\\   /s"


def test_stages() -> None:
    tree = parse(
        "ARG BASE=alpine\n"
        "FROM --platform=$BUILDPLATFORM golang:1.22 AS Build\n"
        "RUN go build\n"
        "FROM $BASE\n"
        "COPY --from=build /out /\n"
    )
    assert [i.name for i in tree.global_args] == ["ARG"]
    build, final = tree.stages
    assert (build.name, build.base_image, build.platform) == (
        "build",
        "golang:1.22",
        "$BUILDPLATFORM",
    )
    assert [i.name for i in build.instructions] == ["RUN"]
    assert (final.name, final.base_image, final.platform, final.index) == (None, "$BASE", None, 1)


def test_comments_include_those_inside_continuations() -> None:
    tree = parse("# top\nRUN a \\\n  # inside\n  b\n")
    assert [c.value for c in tree.comments] == ["top", "inside"]
    assert all(isinstance(c, Comment) for c in tree.comments)


def test_spans_and_locations() -> None:
    text = "FROM a\nRUN echo \\\n  hi\n"
    tree = parse(text)
    run = tree.instructions[1]
    span = tree.span(run)
    assert text[span.start : span.end] == run.text == "RUN echo \\\n  hi\n"
    assert span.start_location == Location(2, 1)
    assert tree.instruction_lines(run) == (2, 3)
    arguments = run.arguments
    assert arguments is not None
    assert tree.location(arguments.start) == Location(2, 5)


def test_utf16_columns_count_surrogate_pairs() -> None:
    tree = parse('FROM a\nLABEL x="😀" y=1\n')
    offset = tree.text.index("y=1")
    location = tree.location(offset)
    assert location == Location(2, 13)
    assert tree.utf16_column(location) == 13  # 0-based, and the emoji is two UTF-16 code units


def test_nodes_are_immutable_and_with_changes_builds_a_copy() -> None:
    tree = parse("FROM a\n")
    instruction = tree.instructions[0]
    with pytest.raises(AttributeError):
        instruction.children = ()  # type: ignore[misc]
    changed = instruction.with_changes(children=instruction.children[:1])
    assert changed.text == "FROM" and changed.start == -1 and instruction.text == "FROM a\n"


def test_every_byte_is_in_exactly_one_token() -> None:
    text = "\ufeff# syntax=x\n  # c\n\n\\\nRUN --a=1 -- b \\\n # in\n\n c <<E\nbody\nE\nFROM x"
    tree = parse(text)
    tokens = list(tree.tokens())
    assert "".join(t.text for t in tokens) == text
    assert all(text[t.start : t.end] == t.text for t in tokens)
    assert [t.start for t in tokens] == sorted(t.start for t in tokens)


@pytest.mark.parametrize(
    ("src", "dump"),
    [
        ("FROM a\nRUN -\\\n-\\\n", '(from "a")\n(run)\n'),  # a `--` cut by a continuation
        ("FROM a\nRUN -\\\n- echo\n", '(from "a")\n(run "echo")\n'),
        ("FROM a\nRUN --\\\n echo\n", '(from "a")\n(run "echo")\n'),
    ],
)
def test_words_cut_by_continuations(src: str, dump: str) -> None:
    tree = parse(src)
    assert (tree.text, tree.to_buildkit_dump()) == (src, dump)
