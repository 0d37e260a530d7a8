# ruff: noqa: E501  (the tables keep one case per line: they read like a spec)
"""BuildKit checks #12-#22 (BK012-BK022, without BK016): messages, fixes, side inputs.

The rules' own VALID/INVALID tables are collected by test_rule_examples.py; this module adds
BuildKit's exact messages (from `frontend/dockerfile/dockerfile_check_test.go`), fixes that
need more than one rule or a `.dockerignore`, and the ports of BuildKit's helpers (variable
expansion, platforms, references, ignore patterns) against BuildKit's own test data.
"""

from __future__ import annotations

import dockerfile
import pytest
from hypothesis import HealthCheck, given, settings

from dockerfix import platforms
from dockerfix.config import Config
from dockerfix.engine import check, fix
from dockerfix.expansion import ExpansionError, process_word, process_words
from dockerfix.rules.copy_ignored_file import PatternMatcher, go_clean, read_ignore_file
from dockerfix.rules.invalid_default_arg_in_from import parse_normalized_named
from dockerfix.syntax import ParseError, parse
from tests.conftest import CORPUS
from tests.strategies import dockerfiles

CODES = ("BK012", "BK013", "BK014", "BK015", "BK017", "BK018", "BK019", "BK020", "BK021", "BK022")


def _config(*codes: str) -> Config:
    return Config(select=codes or CODES)


def _messages(text: str, *codes: str, dockerignore: str | None = None) -> list[tuple[int, str]]:
    return [
        (d.location.line, d.message)
        for d in check(text, _config(*codes), dockerignore=dockerignore)
    ]


# -- BuildKit's expected warnings (dockerfile_check_test.go), line and detail ----------------

BUILDKIT_CASES = [
    (
        "\nFROM scratch\nENTRYPOINT [\"/myapp\"]\nENTRYPOINT [\"/myotherapp\"]\nCMD [\"/myapp\"]\n"
        'CMD ["/myotherapp"]\nHEALTHCHECK CMD ["/myapp"]\nHEALTHCHECK CMD ["/myotherapp"]\n',
        [
            (3, "Multiple ENTRYPOINT instructions should not be used in the same stage because only the last one will be used"),
            (5, "Multiple CMD instructions should not be used in the same stage because only the last one will be used"),
            (7, "Multiple HEALTHCHECK instructions should not be used in the same stage because only the last one will be used"),
        ],
    ),
    (
        '\nFROM scratch\nENTRYPOINT ["/myapp"]\nCMD ["/myapp"]\nHEALTHCHECK CMD ["/myapp"]\n'
        'COPY <<EOF /a.txt\nHello, World!\nEOF\nENTRYPOINT ["/myotherapp"]\nCMD ["/myotherapp"]\n'
        'HEALTHCHECK CMD ["/myotherapp"]\n',
        [
            (3, "Multiple ENTRYPOINT instructions should not be used in the same stage because only the last one will be used"),
            (4, "Multiple CMD instructions should not be used in the same stage because only the last one will be used"),
            (5, "Multiple HEALTHCHECK instructions should not be used in the same stage because only the last one will be used"),
        ],
    ),
    (
        '\nFROM scratch AS a\nENTRYPOINT ["/myapp"]\nCMD ["/myapp"]\nHEALTHCHECK CMD ["/myapp"]\n\n'
        'FROM a AS b\nENTRYPOINT ["/myotherapp"]\nCMD ["/myotherapp"]\nHEALTHCHECK CMD ["/myotherapp"]\n',
        [],
    ),
    (
        "\nFROM scratch\nENV testkey value\nLABEL key value\n",
        [
            (3, '"ENV key=value" should be used instead of legacy "ENV key value" format'),
            (4, '"LABEL key=value" should be used instead of legacy "LABEL key value" format'),
        ],
    ),
    ("\nFROM scratch\nENV testkey=value\nLABEL key=value\n", []),
    (
        "\nFROM scratch\n# check=skip=LegacyKeyValueFormat\nENV testkey value\n"
        "# check=skip=LegacyKeyValueFormat\nLABEL key value\n",
        [],
    ),
    (
        "\nFROM --platform=$TARGETPLATFORM scratch\n",
        [(2, "Setting platform to predefined $TARGETPLATFORM in FROM is redundant as this is the default behavior")],
    ),
    (
        "\nFROM --platform=${TARGETPLATFORM} scratch\n",
        [(2, "Setting platform to predefined ${TARGETPLATFORM} in FROM is redundant as this is the default behavior")],
    ),
    ("\n# check=skip=RedundantTargetPlatform\nFROM --platform=$TARGETPLATFORM scratch\n", []),
    (
        "\nARG VERSION\nFROM busybox:$VERSION\n",
        [(3, "Default value for ARG busybox:$VERSION results in empty or invalid base image name")],
    ),
    (
        "\nARG IMAGE\nFROM $IMAGE\n",
        [(3, "Default value for ARG $IMAGE results in empty or invalid base image name")],
    ),
    (
        '\nARG SFX="box:"\nFROM busy${SFX}\n',
        [(3, "Default value for ARG busy${SFX} results in empty or invalid base image name")],
    ),
    ('\nARG VERSION="latest"\nFROM busybox:${VERSION}\n', []),
    ('\nARG BUSYBOX_VARIANT=""\nFROM busybox:stable${BUSYBOX_VARIANT}\n', []),
    ("\n\tARG BUSYBOX_VARIANT\n\tFROM busybox:stable${BUSYBOX_VARIANT}\n\t", []),
    (
        "\nFROM --platform=linux/amd64 scratch\n",
        [(2, 'FROM --platform flag should not use constant value "linux/amd64"')],
    ),
    ("\nFROM --platform=linux/amd64 scratch AS my_amd64_stage\n", []),
    ("\nFROM --platform=linux/amd64 scratch AS linux\n", []),
    (
        "\nFROM scratch\nEXPOSE 80/TcP 8080/TCP 8080/udp\n",
        [
            (3, "Defined protocol '80/TcP' in EXPOSE instruction should be lowercase"),
            (3, "Defined protocol '8080/TCP' in EXPOSE instruction should be lowercase"),
        ],
    ),
    (
        "\nFROM scratch\nEXPOSE 127.0.0.1:80:80 [::1]:8080:8080 5000:5000 8000\n",
        [
            (3, "EXPOSE instruction should not define an IP address or host-port mapping, found '127.0.0.1:80:80'"),
            (3, "EXPOSE instruction should not define an IP address or host-port mapping, found '[::1]:8080:8080'"),
            (3, "EXPOSE instruction should not define an IP address or host-port mapping, found '5000:5000'"),
        ],
    ),
]  # fmt: skip


@pytest.mark.parametrize(("source", "expected"), BUILDKIT_CASES)
def test_buildkit_check_test_cases(source: str, expected: list[tuple[int, str]]) -> None:
    assert _messages(source) == expected


DEFINITION_DESCRIPTION = [
    (
        "# check=skip=all;experimental=InvalidDefinitionDescription\n# foo this is the foo\n"
        "ARG foo=bar\n\n# base this is the base image\nFROM scratch AS base\n\n"
        "# version this is the version number\nARG version=latest\n\n# baz this is the baz\n"
        "ARG foo=baz bar=qux baz=quux\n#\nARG bit=bat\n\n"
        "# comment for something other than ARG or FROM\nCOPY Dockerfile .\n",
        [],
    ),
    (
        "# check=experimental=InvalidDefinitionDescription\n# bar this is the bar\nARG foo=bar\n"
        "# BasE this is the BasE image\nFROM scratch AS base\n# definitely a bad comment\n"
        "ARG version=latest\n# definitely a bad comment\nARG foo=baz bar=qux baz=quux\n",
        [
            (3, "Comment for ARG should follow the format: `# foo <description>`"),
            (5, "Comment for FROM should follow the format: `# base <description>`"),
            (7, "Comment for ARG should follow the format: `# version <description>`"),
            (9, "Comment for ARG should follow the format: `# <arg_key> <description>`"),
        ],
    ),
    # A blank line does not detach a comment in BuildKit's parser (PrevComment survives it).
    ("# Build stage\n\nFROM golang AS build\n", [(3, "Comment for FROM should follow the format: `# build <description>`")]),
    # An indented comment loses its first byte, not its `#`: the text is `# build ...`.
    ("  # build the app\nFROM golang AS build\n", [(2, "Comment for FROM should follow the format: `# build <description>`")]),
]  # fmt: skip


@pytest.mark.parametrize(("source", "expected"), DEFINITION_DESCRIPTION)
def test_definition_description(source: str, expected: list[tuple[int, str]]) -> None:
    assert _messages(source, "BK020") == expected


def test_definition_description_is_off_by_default() -> None:
    source = "# a comment\nFROM scratch AS base\n"
    assert "BK020" not in [d.code for d in check(source, Config())]
    assert "BK020" in [d.code for d in check(source, Config(extend_select=("BK020",)))]


UNDESCRIBED = "# a comment\nFROM scratch AS base\n"

# An experimental check runs where the file's `# check=` directive asks for it, as in
# BuildKit; the config's selectors still have the last word.
EXPERIMENTAL = [
    ("experimental=InvalidDefinitionDescription", Config(), True),
    ("experimental=all", Config(), True),
    ("experimental=invaliddefinitiondescription", Config(), True),
    ("error=true;experimental=JSONArgsRecommended,InvalidDefinitionDescription", Config(), True),
    ("experimental=JSONArgsRecommended", Config(), False),
    ("skip=InvalidDefinitionDescription;experimental=all", Config(), False),
    ("experimental=all", Config(ignore=("BK020",)), False),
    ("experimental=all", Config(select=("DF",)), False),
    ("experimental=all", Config(select=("BK",)), True),
]


@pytest.mark.parametrize(("directive", "config", "reported"), EXPERIMENTAL)
def test_experimental_checks_follow_the_check_directive(
    directive: str, config: Config, reported: bool
) -> None:
    source = f"# check={directive}\n{UNDESCRIBED}"
    assert ("BK020" in [d.code for d in check(source, config)]) is reported


# -- CopyIgnoredFile: a .dockerignore is a side input -----------------------------------------

COPY_IGNORED = [
    # dockerfile_check_test.go testCopyIgnoredFiles / testCopyIgnoredFileContextRoot
    ("\nDockerfile\n", "\nFROM scratch\nCOPY Dockerfile .\nADD Dockerfile /windy\n",
     [(3, 'Attempting to Copy file "Dockerfile" that is excluded by .dockerignore'),
      (4, 'Attempting to Add file "Dockerfile" that is excluded by .dockerignore')]),
    ("\nfoobar\n", "\nFROM scratch AS base\nCOPY Dockerfile /foobar\nADD Dockerfile /windy\n\nFROM base\nCOPY --from=base /foobar /Dockerfile\n", []),
    ("\n**\n!Dockerfile\n", "\nFROM scratch\nCOPY ./Dockerfile .\n", []),
    ("\n**\n!Dockerfile\n", "\nFROM scratch\nCOPY . .\n", []),
    ("\n.*\n", "\nFROM scratch\nCOPY . .\n", []),
    ("\n*\n", "\nFROM scratch\nCOPY . .\n", [(3, 'Attempting to Copy file "." that is excluded by .dockerignore')]),
    # The rule page's own example: `*/tmp/*` needs a directory before `tmp`.
    ("*/tmp/*\n", "FROM scratch\nCOPY ./tmp/helloworld.txt /helloworld.txt\n", []),
    ("*/tmp/*\n", "FROM scratch\nCOPY ./a/tmp/helloworld.txt /helloworld.txt\n",
     [(2, 'Attempting to Copy file "a/tmp/helloworld.txt" that is excluded by .dockerignore')]),
    # A parent directory that is ignored excludes the file.
    ("tmp\n", "FROM scratch\nCOPY ./tmp/helloworld.txt /\n",
     [(2, 'Attempting to Copy file "tmp/helloworld.txt" that is excluded by .dockerignore')]),
    ("/node_modules\n# comment\n", "FROM node\nCOPY node_modules/x package.json /app/\n",
     [(2, 'Attempting to Copy file "node_modules/x" that is excluded by .dockerignore')]),
    ("**/*.md\n", "FROM scratch\nCOPY [\"docs/README.md\", \"/x/\"]\n",
     [(2, 'Attempting to Copy file "docs/README.md" that is excluded by .dockerignore')]),
    ("**\n", "FROM scratch\nCOPY / /x\n", [(2, 'Attempting to Copy file "/" that is excluded by .dockerignore')]),
    # Absolute sources are cleaned but keep their slash; the patterns lost theirs.
    ("app\n", "FROM scratch\nCOPY /app /x\n", []),
    # Variables the stage defines are expanded; others are unknown and skipped.
    ("secrets\n", "FROM alpine\nENV DIR=secrets\nCOPY $DIR/key /k\nCOPY $OTHER/key /k\n",
     [(3, 'Attempting to Copy file "secrets/key" that is excluded by .dockerignore')]),
    # Heredocs, URLs and other stages are not context files.
    ("*\n", "FROM alpine\nCOPY <<EOF /x\nhi\nEOF\nADD https://example.com/a.tgz /a\nADD git@github.com:a/b.git /b\n", []),
    ("", "FROM scratch\nCOPY x /x\n", []),
    ("!\n", "FROM scratch\nCOPY x /x\n", []),
]  # fmt: skip


@pytest.mark.parametrize(("dockerignore", "source", "expected"), COPY_IGNORED)
def test_copy_ignored_file(dockerignore: str, source: str, expected: list[tuple[int, str]]) -> None:
    assert _messages(source, "BK019", dockerignore=dockerignore) == expected


def test_copy_ignored_file_needs_a_dockerignore() -> None:
    assert _messages("FROM scratch\nCOPY Dockerfile .\n", "BK019") == []


@pytest.mark.parametrize(
    ("patterns", "path", "expected"),
    [
        (["*"], ".", True),
        (["**"], "a/b", True),
        (["**/*.go"], "x.go", True),
        (["**/*.go"], "a/b/x.go", True),
        (["**/foo"], "foo", True),
        (["**/foo"], "a/foo", True),
        (["a/**"], "a/b/c", True),
        (["a/**"], "b", False),
        (["a?c"], "abc", True),
        (["a?c"], "a/c", False),
        (["a[bc]d"], "acd", True),
        (["docs"], "docs/x/y.md", True),
        (["*.txt"], "dir/a.txt", False),
        (["dir/*.txt"], "dir/a.txt", True),
        (["a.b"], "axb", False),
    ],
)
def test_pattern_matcher(patterns: list[str], path: str, expected: bool) -> None:
    matcher = PatternMatcher.new(patterns)
    assert matcher is not None
    assert matcher.matches_or_parent_matches(path) is expected


def test_ignore_file_reading() -> None:
    text = "\ufeff# comment\n  /abs/path  \r\n!  keep\n\n./x/../y\n #not a comment\n"
    assert read_ignore_file(text) == ["abs/path", "!keep", "y", "#not a comment"]
    assert [go_clean(p) for p in ("", "./a//b/", "/../a", "a/../..", "//x")] == [
        ".",
        "a/b",
        "/a",
        "..",
        "/x",
    ]


# -- Fixes ----------------------------------------------------------------------------------

FIXES = [
    # MultipleInstructionsDisallowed (unsafe): whole lines go, comments above stay.
    ("BK012", "FROM a\n# first\nCMD a\n\n# second\nCMD b\n", "FROM a\n# first\n\n# second\nCMD b\n"),
    ("BK012", "FROM a\nHEALTHCHECK --interval=5s \\\n  # probe\n  CMD x\nHEALTHCHECK NONE\n", "FROM a\nHEALTHCHECK NONE\n"),
    ("BK012", "FROM a\nENTRYPOINT x\nCMD c\nENTRYPOINT y\nFROM b\nCMD d\n", "FROM a\nCMD c\nENTRYPOINT y\nFROM b\nCMD d\n"),
    # RedundantTargetPlatform: the flag and the blanks after it.
    ("BK015", "FROM --platform=$TARGETPLATFORM node:22 AS web\nRUN x\n", "FROM node:22 AS web\nRUN x\n"),
    ("BK015", "# escape=`\nFROM --platform=$TARGETPLATFORM `\n  alpine\n", "# escape=`\nFROM alpine\n"),
    ("BK015", "ARG TARGETPLATFORM=linux/arm64\nFROM --platform=$TARGETPLATFORM alpine\n", "ARG TARGETPLATFORM=linux/arm64\nFROM alpine\n"),
    # EXPOSE: both fixes on one word in the same round.
    ("BK021", "FROM a\nEXPOSE 0.0.0.0:80:80/TCP 53/UDP\n", "FROM a\nEXPOSE 0.0.0.0:80:80/tcp 53/udp\n"),
    ("BK022", "FROM a\nEXPOSE 0.0.0.0:80:80/TCP 53/UDP\n", "FROM a\nEXPOSE 80/TCP 53/UDP\n"),
    ("BK021,BK022", "FROM a\nEXPOSE 0.0.0.0:80:80/TCP 53/UDP\n", "FROM a\nEXPOSE 80/tcp 53/udp\n"),
    ("BK022", "FROM a\nEXPOSE 1.2.3.4:8080:80 \\\n  [::1]:9000:9000/udp\n", "FROM a\nEXPOSE 80 \\\n  9000/udp\n"),
    # LegacyKeyValueFormat with the other fixes around.
    ("BK013,BK012", "FROM a\nENV A b c\nCMD x\nLABEL k v w\nCMD y\n", 'FROM a\nENV A="b c"\nLABEL k="v w"\nCMD y\n'),
    # InvalidDefinitionDescription (when selected): a bare `#` after the block.
    ("BK020", "ARG A=1\n# the base image\nFROM alpine AS base\n", "ARG A=1\n# the base image\n#\nFROM alpine AS base\n"),
]  # fmt: skip


@pytest.mark.parametrize(("codes", "source", "expected"), FIXES)
def test_fixes(codes: str, source: str, expected: str) -> None:
    config = _config(*codes.split(","))
    result = fix(source, config, unsafe=True)
    assert result.text == expected
    assert fix(result.text, config, unsafe=True).text == expected


NO_FIX = [
    ("BK013", 'LABEL "quoted key" value\n'),
    ("BK013", "ENV $KEY value\n"),
    ("BK021", "ENV P=TCP\nEXPOSE 80/$P\n"),
    ("BK021", 'EXPOSE "80/TCP"\n'),
    ("BK022", "EXPOSE 8080:80\\\n90\n"),
    ("BK020", "# about X\n# check=skip=JSONArgsRecommended\nARG X=1\n"),
    ("BK020", "# dockerfix: ignore[DF001]\nARG X=1\n"),
]


@pytest.mark.parametrize(("code", "body"), NO_FIX)
def test_reported_without_fix(code: str, body: str) -> None:
    source = "FROM alpine AS base\n" + body if code != "BK020" else body + "FROM alpine\n"
    found = check(source, _config(code))
    assert found
    assert all(d.fix is None for d in found)


# -- LegacyKeyValueFormat keeps the value BuildKit reads ------------------------------------

LEGACY = [
    ("\\", 'ENV A b  "c d"', 'ENV A=b\\ \\ "c d"'),
    ("\\", "ENV A $HOME/x y", 'ENV A="$HOME/x y"'),
    ("\\", "ENV A x\\ y z", "ENV A=x\\ y\\ z"),
    ("\\", "ENV A x\ty", 'ENV A="x\ty"'),
    ("\\", "ENV A x \\\n    y", 'ENV A="x \\\n    y"'),
    ("\\", "ENV A x \\\n# comment\n\n  y  z", 'ENV A="x \\\n# comment\n\n  y  z"'),
    ("\\", "ENV A \\\n  b c", 'ENV A=\\\n"b c"'),
    ("\\", "ENV A ${B:-a b} c", 'ENV A="${B:-a b} c"'),
    ("\\", "ENV A '$x y' z", "ENV A='$x y'\\ z"),
    ("\\", "ENV A x\xa0y", 'ENV A="x\xa0y"'),
    ("\\", 'ENV A ""', 'ENV A=""'),
    ("\\", 'ENV A x"y z"w v', 'ENV A=x"y z"w\\ v'),
    ("\\", "ENV A B=C D", 'ENV A="B=C D"'),
    ("\\", 'ENV A x\\"y z', 'ENV A=x\\"y\\ z'),
    ("\\", "ENV A x y\\\\", "ENV A=x\\ y\\\\"),
    ("\\", "ENV A `x` y", 'ENV A="`x` y"'),
    ("\\", 'ENV A "a\\"b c" d', 'ENV A="a\\"b c"\\ d'),
    ("\\", "ENV  A \t b", "ENV  A=b"),
    ("\\", "LABEL org.opencontainers.image.title My App", 'LABEL org.opencontainers.image.title="My App"'),
    ("`", "ENV A C:\\path x", 'ENV A="C:\\path x"'),
    ("`", "ENV A 'x' C:\\dir", "ENV A='x'` C:\\dir"),
    ("`", "ENV A x`  y z", "ENV A=x` ` y` z"),
    ("`", 'ENV A "q`"r" s', 'ENV A="q`"r"` s'),
    ("`", "ENV A x `\n  y", 'ENV A="x `\n  y"'),
]  # fmt: skip


def _key_value(text: str) -> tuple[str, ...]:
    """The (key, value) BuildKit's own parser (the `dockerfile` package) reads."""
    (command,) = [c for c in dockerfile.parse_string(text) if c.cmd.upper() in ("ENV", "LABEL")]
    return tuple(command.value)


def _expanded(word: str, env: dict[str, str], escape: str) -> str | None:
    try:
        return process_word(word, env, escape).result
    except ExpansionError:
        return None


@pytest.mark.parametrize(("escape", "body", "expected"), LEGACY)
def test_legacy_value_is_preserved(escape: str, body: str, expected: str) -> None:
    prefix = "" if escape == "\\" else f"# escape={escape}\n"
    source = f"{prefix}FROM alpine\n{body}\n"
    fixed = fix(source, _config("BK013")).text
    assert fixed == f"{prefix}FROM alpine\n{expected}\n"
    (key, legacy), (new_key, value) = _key_value(source), _key_value(fixed)
    assert new_key == key
    for env in ({}, {"HOME": "/root", "B": "bee", "x": "ex"}):
        assert _expanded(value, env, escape) == _expanded(legacy, env, escape)
    assert check(fixed, _config("BK013")) == []


# -- Ports of BuildKit helpers, against BuildKit's test data ---------------------------------

EXPANSIONS = [
    ("he${XXX:-000}xx", "he000xx"),
    ("he${PWD:-000}xx", "he/homexx"),
    ("he${XXX:-${PWD:-yyy}}xx", "he/homexx"),
    ("he${XXX:+000}xx", "hexx"),
    ('"he\\$PWD"', "he$PWD"),
    ("'he${XX}'", "he${XX}"),
    ("he\\'llo", "he'llo"),
    ("he${XXX:YYY}", None),
    ("he${NULL:?}", None),
    ("${}", None),
    ("안'녕'하세요", "안녕하세요"),
]


@pytest.mark.parametrize(("word", "expected"), EXPANSIONS)
def test_process_word(word: str, expected: str | None) -> None:
    env = {"PWD": "/home", "SHELL": "bash", "NULL": ""}
    assert _expanded(word, env, "\\") == expected


def test_process_word_matches() -> None:
    result = process_word("${FOO:-aaa} ${BAR:-bbb} ${BAZ:-ccc}", {"FOO": "xxx", "BAR": ""})
    assert (result.result, result.matched, result.unmatched) == (
        "xxx bbb ccc",
        frozenset({"FOO", "BAR"}),
        frozenset({"BAZ"}),
    )
    assert process_word("${FOO%%\\**}", {"FOO": "xx**"}).result == "xx"
    assert process_word("${FOO//$N/.}", {"FOO": "/foo*/*/*.txt", "N": "\\*/"}).result == (
        "/foo..*.txt"
    )
    assert process_words('hello"${A}" x', {"A": "  ab c"}) == ["hello  ab c", "x"]


def _buildkit_file(name: str) -> str:
    """One of BuildKit's shell lexer tables, from the shared conformance corpus."""
    return (CORPUS / "other" / "shell" / name).read_text(encoding="utf-8")


def test_process_word_against_buildkit_env_var_test() -> None:
    env = {"PWD": "/home", "SHELL": "bash", "KOREAN": "한국어", "NULL": ""}
    failures = []
    for line in _buildkit_file("envVarTest").splitlines():
        if line.startswith("#") or not line.strip():
            continue
        tag, source, expected = (part.strip() for part in line.strip().split("|"))
        if tag == "W":
            continue
        got = _expanded(source, env, "\\")
        if got != (None if expected == "error" else expected):
            failures.append((source, expected, got))
    assert failures == []


def test_process_words_against_buildkit_words_test() -> None:
    env: dict[str, str] = {}
    failures = []
    for line in _buildkit_file("wordsTest").split("\n"):
        if not line or line.startswith("#"):
            continue
        if line.startswith("ENV "):
            key, _, value = line[3:].lstrip(" ").partition("=")
            env[key] = value
            continue
        source, expected = line.split("|")
        try:
            got = process_words(source.strip(), env)
        except ExpansionError:
            got = ["error"]
        if got != expected.lstrip(" ").split(","):
            failures.append((source, expected, got))
    assert failures == []


@pytest.mark.parametrize(
    ("specifier", "expected"),
    [
        ("linux/amd64", "linux/amd64"),
        ("linux/x86_64", "linux/amd64"),
        ("Linux/AARCH64", "linux/arm64"),
        ("linux/arm64/v8", "linux/arm64/v8"),
        ("linux/arm", "linux/arm"),
        ("linux/arm/7", "linux/arm/v7"),
        ("armhf", "linux/arm"),
        ("arm64", "linux/arm64"),
        ("windows", "windows/amd64"),
        ("macos/arm64", "darwin/arm64"),
        ("windows(10.0.17763)/amd64", "windows(10.0.17763)/amd64"),
        ("bogus", None),
        ("linux/*", None),
        ("a/b/c/d", None),
        ("linux/amd 64", None),
    ],
)
def test_platform_parse(specifier: str, expected: str | None) -> None:
    platform = platforms.parse(specifier)
    assert (platform.format() if platform else None) == expected


@pytest.mark.parametrize(
    ("name", "valid"),
    [
        ("alpine", True),
        ("alpine:3.20", True),
        ("localhost:5000/team/app:1.0", True),
        ("[::1]:5000/app", True),
        ("ghcr.io/org/app@sha256:" + "a" * 64, True),
        ("busybox:", False),
        ("", False),
        ("/app", False),
        ("Alpine", False),
        ("ghcr.io/Org/app", False),
        ("app@sha256:" + "A" * 64, False),
        ("app@md5:" + "a" * 32, False),
        ("a" * 64, False),
        ("app:" + "t" * 129, False),
    ],
)
def test_image_references(name: str, valid: bool) -> None:
    assert (parse_normalized_named(name) is not None) is valid


# -- Properties over generated Dockerfiles ----------------------------------------------------


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(dockerfiles())
def test_fixes_are_idempotent_and_keep_legacy_values(text: str) -> None:
    try:
        tree = parse(text)
    except ParseError:
        return
    config = _config()
    result = fix(text, config, unsafe=True, dockerignore="*\n")
    assert result.converged
    assert fix(result.text, config, unsafe=True, dockerignore="*\n").text == result.text
    fixed = parse(result.text)
    before = [i for i in tree.instructions if i.name in ("ENV", "LABEL")]
    after = [i for i in fixed.instructions if i.name in ("ENV", "LABEL")]
    assert len(before) == len(after)
    for old, new in zip(before, after, strict=True):
        old_values, new_values = old.buildkit_arguments[0], new.buildkit_arguments[0]
        assert old_values[0::3] == new_values[0::3]  # the keys
        for old_value, new_value in zip(old_values[1::3], new_values[1::3], strict=True):
            assert _expanded(old_value, {}, tree.escape) == _expanded(new_value, {}, tree.escape)
