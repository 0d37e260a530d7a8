from __future__ import annotations

from collections.abc import Mapping

from dockerfix.diagnostics import Safety
from dockerfix.expansion import ExpansionError, process_word
from dockerfix.rules.base import Invalid, Rule
from dockerfix.semantics import StageInfo
from dockerfix.syntax import Arguments, Instruction, Token
from dockerfix.syntax.buildkit import GO_SPACE, SEPARATOR_RUN, LineError, name_values
from dockerfix.syntax.nodes import Child

QUOTES = "'\""


class LegacyKeyValueFormat(Rule):
    """
    ## What it does
    Reports `ENV key value` and `LABEL key value`, the legacy form without `=` (BuildKit's
    `LegacyKeyValueFormat` check), and rewrites them as `key=value`.

    ## Why is this bad?
    The legacy form sets one variable whose value is the whole rest of the line, spaces
    included, while `key=value` pairs are separated by spaces: the two forms read the same
    text differently, and mixing them is a classic source of surprises (`ENV A b C=d` sets `A`
    to `b C=d`). BuildKit warns about the legacy form.

    ## Example
    ```dockerfile
    FROM alpine
    ENV DEPS curl git
    LABEL description A small image
    ```

    Use instead:
    ```dockerfile
    FROM alpine
    ENV DEPS="curl git"
    LABEL description="A small image"
    ```

    ## Fix safety
    Safe: the value is kept byte for byte as BuildKit reads it. The legacy value is the raw rest
    of the line after the first run of blanks, continuation lines joined with their leading
    whitespace kept; the fix replaces that run with `=` and, when the value has unquoted
    whitespace, wraps it in double quotes, or, when it already has quotes or escapes of its
    own, escapes each unquoted blank with the file's escape character. Line continuations and
    comment lines stay where they are. Before offering the fix, the rule re-reads the new text
    the way BuildKit does (word splitting, then variable expansion with and without the
    variables set) and offers nothing if any value would differ. Keys with quotes, escapes or
    `$` are reported without a fix.

    ## References
    - https://docs.docker.com/reference/build-checks/legacy-key-value-format/
    - https://docs.docker.com/reference/dockerfile/#env
    """

    code = "BK013"
    name = "LegacyKeyValueFormat"
    buildkit_check = "LegacyKeyValueFormat"
    fix_safety = Safety.SAFE

    VALID = (
        "FROM alpine\nENV DEPS=curl\nLABEL a=b c=d\n",
        'FROM alpine\nENV MSG="hello world" B=1\n',
        "FROM alpine\nARG VERSION=1 PLAIN\n",
    )
    INVALID = (
        Invalid("FROM alpine\nENV DEPS curl git\n", 'FROM alpine\nENV DEPS="curl git"\n'),
        Invalid("FROM alpine\nENV PATH /app/bin:$PATH\n", "FROM alpine\nENV PATH=/app/bin:$PATH\n"),
        Invalid("FROM alpine\nLABEL description A small image\n", 'FROM alpine\nLABEL description="A small image"\n'),
        Invalid('FROM alpine\nENV MSG "hello world"\n', 'FROM alpine\nENV MSG="hello world"\n'),
        Invalid("FROM alpine\nENV A\t  x\ty\n", 'FROM alpine\nENV A="x\ty"\n'),
        Invalid("FROM alpine\nENV OPTS -Dk='a b' -Dx\n", "FROM alpine\nENV OPTS=-Dk='a b'\\ -Dx\n"),
        Invalid("FROM alpine\nENV A x \\\n  # note\n    y\n", 'FROM alpine\nENV A="x \\\n  # note\n    y"\n'),
        Invalid("# escape=`\nFROM alpine\nENV A 'x' C:\\dir\n", "# escape=`\nFROM alpine\nENV A='x'` C:\\dir\n"),
        Invalid("FROM alpine\r\nenv A b\r\n", "FROM alpine\r\nenv A=b\r\n"),
    )  # fmt: skip

    def visit_instruction(self, instruction: Instruction, stage: StageInfo | None) -> None:
        if (
            stage is None
            or instruction.name not in ("ENV", "LABEL")
            or instruction.arguments is None
        ):
            return
        try:
            values, _ = instruction.buildkit_arguments
        except LineError:
            return
        if len(values) != 3 or values[2] != "":
            return
        keyword = instruction.keyword
        new = _rewrite(instruction, instruction.arguments, values[0], values[1])
        self.report(
            instruction,
            f'"{keyword} key=value" should be used instead of legacy "{keyword} key value" format',
            fix=None if new is None else {instruction.arguments: new},
            title=f"Rewrite as `{keyword} {values[0]}=…`",
        )


def _rewrite(
    instruction: Instruction, arguments: Arguments, key: str, value: str
) -> Arguments | None:
    """The arguments as `key=value`, BuildKit reading the same value; None if not provable."""
    escape = instruction.escape
    rest = arguments.value
    separator = SEPARATOR_RUN.match(rest, len(key))
    if instruction.flags or not _plain(key, escape) or separator is None:
        return None
    start = separator.end()
    if rest[:start].rstrip() != key or rest[start:] != value:
        return None
    out = list(rest)
    out[len(key)] = "="
    for i in range(len(key) + 1, start):
        out[i] = ""
    spaces = _unquoted_spaces(f"{key}={value}", escape, offset=len(key) + 1)
    if spaces and not any(ch in value for ch in QUOTES + escape):
        out[start] = '"' + out[start]
        out[-1] += '"'
    else:
        for i in spaces:
            out[start + i] = escape + out[start + i]
    new = _with_text(arguments, out)
    return new if _same_reading(new.value, key, value, escape) else None


def _plain(key: str, escape: str) -> bool:
    return bool(key) and not any(ch in QUOTES + "$=" + escape or ch in GO_SPACE for ch in key)


def _unquoted_spaces(word: str, escape: str, offset: int) -> list[int]:
    """Positions (minus `offset`) of the blanks BuildKit's parseWords would split `word` at."""
    found = []
    quote = ""
    pos = 0
    while pos < len(word):
        ch = word[pos]
        if quote:
            if ch == quote:
                quote = ""
            elif ch == escape and quote != "'":
                pos += 1
        elif ch in GO_SPACE:
            found.append(pos - offset)
        elif ch in QUOTES:
            quote = ch
        elif ch == escape:
            pos += 1
        pos += 1
    return found


def _with_text(arguments: Arguments, out: list[str]) -> Arguments:
    """`arguments` with each ARGS token's characters replaced by their `out` strings."""
    children: list[Child] = []
    at = 0
    for child in arguments.children:
        if isinstance(child, Token) and child.type == "ARGS":
            end = at + len(child.text)
            text = "".join(out[at:end])
            children.append(child if text == child.text else Token("ARGS", text))
            at = end
        else:
            children.append(child)
    return arguments.with_changes(children=tuple(children))


def _same_reading(rest: str, key: str, value: str, escape: str) -> bool:
    """Does `rest` parse as the one pair `key=...` whose value expands like `value`?"""
    try:
        triples = name_values(rest, "env", escape)
    except LineError:
        return False
    if len(triples) != 1 or triples[0][0] != key or triples[0][2] != "=":
        return False
    new = triples[0][1]
    names = _names(value, escape) | _names(new, escape)
    samples: tuple[Mapping[str, str], ...] = (
        {},
        {n: f"<{n}>" for n in names},
        dict.fromkeys(names, ""),
    )
    return all(_expand(value, env, escape) == _expand(new, env, escape) for env in samples)


def _names(word: str, escape: str) -> set[str]:
    try:
        return set(process_word(word, {}, escape).unmatched)
    except ExpansionError:
        return set()


def _expand(word: str, env: Mapping[str, str], escape: str) -> str | None:
    try:
        return process_word(word, env, escape).result
    except ExpansionError:
        return None
