"""Spec of dockerfix.shell: how the text of a shell-form RUN reads as simple commands."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dockerfix.shell import SimpleCommand, Word, commands, effective_argv, removal_span


def argvs(text: str, escape: str = "\\", continuations: bool = True) -> list[list[str]]:
    return [list(c.argv) for c in commands(text, escape, continuations=continuations)]


def delete(text: str, span: tuple[int, int] | None) -> str:
    assert span is not None
    return text[: span[0]] + text[span[1] :]


# --- lists, compounds and substitutions ----------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("apt-get update", [["apt-get", "update"]]),
        (
            "apt-get update && apt-get install -y --no-install-recommends curl git"
            " && rm -rf /var/lib/apt/lists/*",
            [
                ["apt-get", "update"],
                ["apt-get", "install", "-y", "--no-install-recommends", "curl", "git"],
                ["rm", "-rf", "/var/lib/apt/lists/*"],
            ],
        ),
        ("a || b; c | d & e |& f", [["a"], ["b"], ["c"], ["d"], ["e"], ["f"]]),
        ("a&&b;c", [["a"], ["b"], ["c"]]),
        ("(cd /src && make) && { make install; }", [["cd", "/src"], ["make"], ["make", "install"]]),
        (
            "if [ -f x ]; then rm x; elif true; then :; else touch x; fi",
            [["[", "-f", "x", "]"], ["rm", "x"], ["true"], [":"], ["touch", "x"]],
        ),
        ("for f in a b; do echo $f; done && ls", [["echo", "$f"], ["ls"]]),
        ("for ((i = 0; i < 3; i++)); do echo $i; done", [["echo", "$i"]]),
        ("while true; do sleep 1; done", [["true"], ["sleep", "1"]]),
        (
            'case "$x" in a|b) echo ab ;; (*) echo other ;; esac; ls',
            [["echo", "ab"], ["echo", "other"], ["ls"]],
        ),
        ("case $(uname -m) in x86_64) A=amd64;; esac", [["uname", "-m"], []]),
        ("f() { echo hi; }; f", [["echo", "hi"], ["f"]]),
        ("function f { echo hi; }", [["echo", "hi"]]),
        ("[[ -f x && -d y ]] && echo ok", [["echo", "ok"]]),
        ("! grep -q x f", [["grep", "-q", "x", "f"]]),
        ("echo if then fi done", [["echo", "if", "then", "fi", "done"]]),
        (
            'echo "$(uname -m)" && tar xf x.tgz',
            [["echo", "$(uname -m)"], ["uname", "-m"], ["tar", "xf", "x.tgz"]],
        ),
        (
            "echo $(dpkg --print-architecture | sed 's/-/_/')",
            [
                ["echo", "$(dpkg --print-architecture | sed 's/-/_/')"],
                ["dpkg", "--print-architecture"],
                ["sed", "s/-/_/"],
            ],
        ),
        (
            "echo `date +%s` `id -u`",
            [["echo", "`date +%s`", "`id -u`"], ["date", "+%s"], ["id", "-u"]],
        ),
        (
            "diff <(sort a) <(sort b)",
            [["diff", "<(sort a)", "<(sort b)"], ["sort", "a"], ["sort", "b"]],
        ),
        ("echo ${A:-$(id -u)} $((1 + 2))", [["echo", "${A:-$(id -u)}", "$((1 + 2))"]]),
        ("a=$(case $x in a) echo A;; esac) b", [["b"], ["echo", "A"]]),
        ("echo a 2> >(tee err >&2)", [["echo", "a"], ["tee", "err"]]),
    ],
)
def test_lists_and_compounds(text: str, expected: list[list[str]]) -> None:
    assert argvs(text) == expected


# --- words: quoting, assignments, redirections, comments -----------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("echo 'a && b' \"c; d\"", [["echo", "a && b", "c; d"]]),
        ("echo a\\ b \\$HOME", [["echo", "a b", "$HOME"]]),
        ('echo "a\\"b" "\\$x" "\\q"', [["echo", 'a"b', "$x", "\\q"]]),
        ("echo it's", [["echo", "its"]]),
        ("echo $HOME ${VERSION} $'x'", [["echo", "$HOME", "${VERSION}", "$'x'"]]),
        (
            "curl -fsSL https://x 2>/dev/null > out.txt 2>&1 && ls",
            [["curl", "-fsSL", "https://x"], ["ls"]],
        ),
        ("echo 2 >x", [["echo", "2"]]),
        ("echo a # && rm -rf /", [["echo", "a"]]),
        ("echo a#b", [["echo", "a#b"]]),
        ("# only a comment", []),
        ("X=1", [[]]),
        ("echo é && ls ☃", [["echo", "é"], ["ls", "☃"]]),
    ],
)
def test_words(text: str, expected: list[list[str]]) -> None:
    assert argvs(text) == expected


@pytest.mark.parametrize(
    ("text", "assignments", "argv"),
    [
        (
            "CGO_ENABLED=0 GOOS=linux go build .",
            ["CGO_ENABLED=0", "GOOS=linux"],
            ["go", "build", "."],
        ),
        ('A="a b" B+=c make', ["A=a b", "B+=c"], ["make"]),
        ("make A=1", [], ["make", "A=1"]),
        ('"A=1" make', [], ["A=1", "make"]),
    ],
)
def test_assignments(text: str, assignments: list[str], argv: list[str]) -> None:
    (cmd,) = commands(text)
    assert [w.value for w in cmd.assignments] == assignments
    assert list(cmd.argv) == argv


def test_word_spans_are_raw_text() -> None:
    text = "X=1 echo 'a b' \"c\" >f"
    (cmd,) = commands(text)
    assert cmd.assignments == (Word("X=1", "X=1", 0, 3),)
    assert cmd.words == (
        Word("echo", "echo", 4, 8),
        Word("'a b'", "a b", 9, 14),
        Word('"c"', "c", 15, 18),
    )
    assert (cmd.start, cmd.end) == (0, len(text))


def test_name_is_basename() -> None:
    assert [c.name for c in commands("/usr/bin/apt-get update; X=1")] == ["apt-get", None]


@pytest.mark.parametrize(
    ("text", "separators"),
    [
        ("a && b || c; d | e & f", [None, "&&", "||", ";", "|", "&"]),
        ("(a) && b", [None, "&&"]),
        ("if a; then b; fi; c", [None, None, ";"]),
        ("{ a; }\nb", [None, "\n"]),
        ("a\n\nb", [None, "\n"]),
        ("a;\nb", [None, ";"]),
        ("a &&\n  b", [None, "&&"]),
        ("if a\nthen\n  b\nfi", [None, None]),
    ],
)
def test_separators(text: str, separators: list[str | None]) -> None:
    cmds = commands(text, continuations=False)
    assert [c.separator.value if c.separator else None for c in cmds] == separators


# --- Dockerfile continuations --------------------------------------------------------

MULTILINE = """apt-get update \\
    && apt-get install -y --no-install-recommends \\
        curl \\
    # tools we need
        git \\

        jq \\
    && rm -rf /var/lib/apt/lists/*"""


@pytest.mark.parametrize(
    ("text", "escape", "expected"),
    [
        (
            MULTILINE,
            "\\",
            [
                ["apt-get", "update"],
                ["apt-get", "install", "-y", "--no-install-recommends", "curl", "git", "jq"],
                ["rm", "-rf", "/var/lib/apt/lists/*"],
            ],
        ),
        ("a \\  \t\n  && b", "\\", [["a"], ["b"]]),
        ("a \\\r\n  # note\r\n  && b", "\\", [["a"], ["b"]]),
        ("echo a\\\nb", "\\", [["echo", "ab"]]),
        ("echo a\\\n  # c\nb", "\\", [["echo", "ab"]]),
        ("echo 'a \\\n  b'", "\\", [["echo", "a   b"]]),
        ("echo a\\\\\nb", "\\", [["echo", "ab"]]),
        # from BuildKit's parser testfiles (continueIndent)
        (
            "echo hi \\\n \\\n world \\\n\\\n good\\\n\\\nnight",
            "\\",
            [["echo", "hi", "world", "goodnight"]],
        ),
        (
            "echo hello \\\n# a comment\n\n# another\n\nmore stuff",
            "\\",
            [["echo", "hello", "more", "stuff"]],
        ),
        (
            "apt-get update `\n  && apt-get install -y curl",
            "`",
            [["apt-get", "update"], ["apt-get", "install", "-y", "curl"]],
        ),
        (
            "echo `date` && dir C:\\\\x `\n  # c\n  && ls",
            "`",
            [["echo", "`date`"], ["date"], ["dir", "C:\\x"], ["ls"]],
        ),
        ("echo a \\\n  b", "`", [["echo", "a", "b"]]),
    ],
)
def test_continuations(text: str, escape: str, expected: list[list[str]]) -> None:
    assert argvs(text, escape) == expected


def test_word_spanning_a_continuation() -> None:
    text = "echo a\\\n  # c\nb c"
    (cmd,) = commands(text)
    assert cmd.words[1] == Word("a\\\n  # c\nb", "ab", 5, 15)
    assert cmd.words[2].start == 16


def test_continuation_is_outside_neighbouring_words() -> None:
    text = "apt-get install -y curl \\\n    git"
    (cmd,) = commands(text)
    assert [w.text for w in cmd.words] == ["apt-get", "install", "-y", "curl", "git"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("echo a \\\n# comment\nb", [["echo", "a"], ["b"]]),
        ("echo a \\\n  b", [["echo", "a", "b"]]),
        (
            "set -e\napt-get update\r\napt-get clean\n",
            [["set", "-e"], ["apt-get", "update"], ["apt-get", "clean"]],
        ),
        ("cat <<EOF > /etc/conf\nk=v && rm -rf /\nEOF\necho done", [["cat"], ["echo", "done"]]),
        ("cat <<-'END' | sh\n\trm -rf /\n\tEND\nls", [["cat"], ["sh"], ["ls"]]),
        ("cat <<A <<B; ls\na\nA\nb\nB\necho", [["cat"], ["ls"], ["echo"]]),
        ("tr a b <<< 'x y'", [["tr", "a", "b"]]),
        ("x=$(cat <<EOF\nfoo)\nEOF\n)\necho $x", [[], ["cat"], ["echo", "$x"]]),
        ("until false\ndo\n  ls\ndone", [["false"], ["ls"]]),
    ],
)
def test_heredoc_bodies_are_plain_shell(text: str, expected: list[list[str]]) -> None:
    assert argvs(text, continuations=False) == expected


# --- sh -c -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "sh -c 'apt-get update && apt-get clean'",
            [
                ["sh", "-c", "apt-get update && apt-get clean"],
                ["apt-get", "update"],
                ["apt-get", "clean"],
            ],
        ),
        (
            "bash -euxo pipefail -c 'go build ./...' x",
            [["bash", "-euxo", "pipefail", "-c", "go build ./...", "x"], ["go", "build", "./..."]],
        ),
        (
            'bash -o pipefail -ec -- "npm ci"',
            [["bash", "-o", "pipefail", "-ec", "--", "npm ci"], ["npm", "ci"]],
        ),
        (
            'sudo /bin/sh -c "echo \\$(id -u)"',
            [["sudo", "/bin/sh", "-c", "echo $(id -u)"], ["echo", "$(id -u)"], ["id", "-u"]],
        ),
        (
            "sh -c \"sh -c 'yarn install'\"",
            [
                ["sh", "-c", "sh -c 'yarn install'"],
                ["sh", "-c", "yarn install"],
                ["yarn", "install"],
            ],
        ),
        ("sh script.sh -c 'not a script'", [["sh", "script.sh", "-c", "not a script"]]),
        ("sh -e x.sh", [["sh", "-e", "x.sh"]]),
    ],
)
def test_sh_c_scripts(text: str, expected: list[list[str]]) -> None:
    assert argvs(text) == expected


def test_sh_c_spans_point_into_the_original() -> None:
    text = 'RUN_X=1 sh -c "apt-get update \\\n  && pip install --no-cache-dir \\"a b\\""'
    cmds = commands(text)
    pip = cmds[-1]
    assert pip.argv == ("pip", "install", "--no-cache-dir", "a b")
    assert text[pip.start : pip.end] == 'pip install --no-cache-dir \\"a b\\"'
    assert pip.words[2].text == "--no-cache-dir"


# --- effective argv ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("apt-get install x", ("apt-get", "install", "x")),
        ("sudo -E apt-get install x", ("apt-get", "install", "x")),
        ("/usr/bin/sudo -u root -E /usr/bin/apt-get install x", ("apt-get", "install", "x")),
        ("sudo DEBIAN_FRONTEND=noninteractive apt-get install x", ("apt-get", "install", "x")),
        ("env -i PATH=/bin -u HOME apt-get install x", ("apt-get", "install", "x")),
        ("sudo -- env -- apt-get -y install", ("apt-get", "-y", "install")),
        ("nice -n 10 time -p nohup make -j4", ("make", "-j4")),
        ("exec -a x stdbuf -oL eatmydata apt-get install", ("apt-get", "install")),
        ("python -m pip install x", ("pip", "install", "x")),
        ("python3 -m pip install --no-cache-dir x", ("pip", "install", "--no-cache-dir", "x")),
        ("/usr/local/bin/python3.11 -u -W ignore -m pip install x", ("pip", "install", "x")),
        ("sudo python3 -m venv /v", ("venv", "/v")),
        ("python -c 'import x' -m y", ("python", "-c", "import x", "-m", "y")),
        ("python setup.py install", ("python", "setup.py", "install")),
        ("sudo", ()),
        ("X=1", ()),
    ],
)
def test_effective_argv(text: str, expected: tuple[str, ...]) -> None:
    (cmd, *_) = commands(text)
    assert effective_argv(cmd) == expected


# --- edits ---------------------------------------------------------------------------


def nth(cmds: tuple[SimpleCommand, ...], name: str, n: int = 0) -> SimpleCommand:
    return [c for c in cmds if effective_argv(c)[:1] == (name,)][n]


@pytest.mark.parametrize(
    ("text", "name", "n", "after"),
    [
        (
            "apt-get install -y curl && rm -rf /var/lib/apt/lists/*",
            "rm",
            0,
            "apt-get install -y curl",
        ),
        ("apt-get clean && rm -rf /x", "apt-get", 0, "rm -rf /x"),
        ("a && apt-get clean && b", "apt-get", 0, "a && b"),
        ("a; apt-get clean; b", "apt-get", 0, "a; b"),
        (
            "apt-get install -y curl \\\n    && rm -rf /var/lib/apt/lists/*",
            "rm",
            0,
            "apt-get install -y curl",
        ),
        (
            "apt-get install -y curl \\\n    # cleanup\n\n    && rm -rf /var/lib/apt/lists/*",
            "rm",
            0,
            "apt-get install -y curl",
        ),
        ("apt-get clean \\\n    && rm -rf /x", "apt-get", 0, "rm -rf /x"),
        ("(cd x && make) && rm -rf x", "rm", 0, "(cd x && make)"),
        ("sh -c 'apt-get update && apt-get clean'", "apt-get", 1, "sh -c 'apt-get update'"),
        ("sh -c 'apt-get clean && ls' && b", "apt-get", 0, "sh -c 'ls' && b"),
    ],
)
def test_removal_span(text: str, name: str, n: int, after: str) -> None:
    cmds = commands(text)
    assert delete(text, removal_span(text, cmds, nth(cmds, name, n))) == after


def test_removal_span_in_heredoc_body() -> None:
    text = "apt-get update\napt-get clean\nls\n"
    cmds = commands(text, continuations=False)
    assert (
        delete(text, removal_span(text, cmds, cmds[1], continuations=False))
        == "apt-get update\nls\n"
    )


def test_removal_span_with_backtick_escape() -> None:
    text = "apt-get install -y curl `\n    && rm -rf /x"
    cmds = commands(text, "`")
    assert delete(text, removal_span(text, cmds, cmds[1], "`")) == "apt-get install -y curl"


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("apt-get clean", "apt-get"),
        ("(apt-get clean) && ls", "apt-get"),
        ("if apt-get clean; then ls; fi", "apt-get"),
    ],
)
def test_removal_span_none_without_linked_neighbour(text: str, name: str) -> None:
    cmds = commands(text)
    assert removal_span(text, cmds, nth(cmds, name)) is None


def test_insert_env_before_go_build() -> None:
    text = "CGO_ENABLED=0 go build -o /app . && go build ./x && go test"
    builds = [c for c in commands(text) if effective_argv(c)[:2] == ("go", "build")]
    for cmd in reversed(builds):  # from the end, so earlier offsets stay valid
        at = cmd.words[0].start
        text = text[:at] + "GOOS=$TARGETOS " + text[at:]
    expected = "CGO_ENABLED=0 GOOS=$TARGETOS go build -o /app . && GOOS=$TARGETOS go build ./x"
    assert text == expected + " && go test"


def test_drop_a_word() -> None:
    text = "pip install --no-cache-dir \\\n    -r requirements.txt"
    (cmd,) = commands(text)
    word = next(w for w in cmd.words if w.value == "--no-cache-dir")
    assert text[: word.start - 1] + text[word.end :] == "pip install \\\n    -r requirements.txt"


# --- never raises --------------------------------------------------------------------


def check_invariants(text: str, escape: str = "\\", continuations: bool = True) -> None:
    cmds = commands(text, escape, continuations=continuations)
    assert [c.start for c in cmds] == sorted(c.start for c in cmds)
    for cmd in cmds:
        assert 0 <= cmd.start < cmd.end <= len(text)
        last = cmd.start
        for word in (*cmd.assignments, *cmd.words):
            assert last <= word.start < word.end <= cmd.end
            assert text[word.start : word.end] == word.text
            last = word.end
        if cmd.separator is not None:
            sep = cmd.separator
            assert 0 <= sep.start < sep.end <= cmd.start
            assert text[sep.start : sep.end] == sep.text
        span = removal_span(text, cmds, cmd, escape, continuations=continuations)
        assert span is None or 0 <= span[0] <= span[1] <= len(text)
        effective_argv(cmd)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "\\",
        "'",
        '"',
        "`",
        "$(",
        "${",
        "$((",
        "$'",
        "<(",
        ")))",
        "((((",
        "a <<",
        "a <<EOF",
        "a > && b",
        "> x",
        "fi done esac } ;; then",
        "case",
        "case x in",
        "for",
        "sh -c",
        "sh -c '",
        "sh -c \"$(sh -c '`sh -c x`')\"",
        "\\\n\\\n",
        "echo \\\r",
        "$(" * 2000,
        "`" * 2000,
        "sh -c 'sh -c \"" * 200,
        "\\\n#\n" * 50,
    ],
)
def test_garbage_never_raises(text: str) -> None:
    check_invariants(text)
    check_invariants(text, "`")
    check_invariants(text, continuations=False)


@settings(max_examples=1500, deadline=None)
@given(
    st.text(alphabet=" \t\r\n\\'\"`$(){}[];&|<>#=-0123abcEOF!*", max_size=60),
    st.sampled_from(["\\", "`"]),
    st.booleans(),
)
def test_never_raises(text: str, escape: str, continuations: bool) -> None:
    check_invariants(text, escape, continuations)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "sh -c '",
                '"',
                "$(",
                ")",
                "`",
                "<<EOF\n",
                "EOF\n",
                "a",
                " ",
                "&&",
                "\\\n",
                "# c\n",
                "case x in",
                "esac",
                "'",
                ";;",
            ]
        ),
        max_size=30,
    )
)
def test_never_raises_on_shell_fragments(parts: list[str]) -> None:
    check_invariants("".join(parts))
