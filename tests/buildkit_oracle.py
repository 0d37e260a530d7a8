"""Differential oracle: dockerfix against BuildKit's own parser.

The PyPI package `dockerfile` (asottile/dockerfile 3.4.0) wraps BuildKit **v0.12.5**'s Go parser
(`frontend/dockerfile/parser`) and returns one `Command` per instruction. dockerfix follows
BuildKit **HEAD** (2026). This module

* runs the oracle (`run_oracle`),
* maps a dockerfix `Instruction` to the shape of the oracle's `Command` (`to_command`: the
  adapter; every mapping difference is documented where it is made),
* knows the few places where v0.12.5 and HEAD legitimately read the same text differently
  (`version_difference`), and
* judges one text (`compare`) as agreement, joint rejection, a known version difference, or a
  disagreement with a one-line reason.

Go citations: `v0.12.5:` and `HEAD:` are `git show` revisions of moby/buildkit
(`frontend/dockerfile/...`); `binding:` is asottile/dockerfile at its v3.4.0 tag
(`parse.go`, `pylib/main.go`).

The oracle's Go runtime does not survive `fork()`: call it in the main process or in spawned
workers (pytest-xdist is fine).
"""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import dockerfile

from dockerfix import Dockerfile, ParseError, parse
from dockerfix.syntax import Instruction

# Go's unicode.IsSpace (strings.TrimLeftFunc(s, unicode.IsSpace) and friends).
GO_SPACE = (
    "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
    "\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
# Go regexp's \s (RE2, ASCII only).
GO_RE_SPACE = "\t\n\f\r "
NO_INSTRUCTIONS = "file with no instructions"
KEY_VALUE_INSTRUCTIONS = frozenset({"ENV", "LABEL"})
HEREDOC_INSTRUCTIONS = frozenset({"RUN", "COPY", "ADD"})
MAYBE_JSON = frozenset({"RUN", "CMD", "ENTRYPOINT", "SHELL"})
MAYBE_JSON_LIST = frozenset({"ADD", "COPY", "VOLUME"})

OracleResult = tuple[dockerfile.Command, ...]
Kind = Literal["agree", "both-reject", "version", "disagree"]


class VersionDifference(Exception):
    """v0.12.5 and HEAD legitimately read this text differently: no comparison is possible."""


# -- running the oracle ------------------------------------------------------------------------


def run_oracle(text: str) -> OracleResult:
    """BuildKit v0.12.5's parse of `text`.

    Raises `dockerfile.GoParseError` where BuildKit fails, and `UnicodeDecodeError` when the
    parse succeeded but produced a string that is not valid UTF-8 (binding: `stringToPy` uses
    `PyUnicode_FromString`, which refuses invalid UTF-8).
    """
    if "\0" not in text:
        return tuple(dockerfile.parse_string(text))
    # binding: `parse_string` reads its argument with `C.GoString`, which stops at the first
    # NUL; `parse_file` reads the file with Go's os.Open, so the Go parser sees every byte.
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "Dockerfile"
        path.write_bytes(text.encode("utf-8"))
        return tuple(dockerfile.parse_file(str(path)))


# -- the adapter --------------------------------------------------------------------------------


def _c_string(value: str) -> str:
    # binding: every string goes back to Python through `C.CString`, so it ends at a NUL
    # (e.g. a JSON "\u0000" argument).
    return value.split("\0", 1)[0]


def _c_long(value: int) -> int:
    # binding: `C.long(heredoc.FileDescriptor)` wraps BuildKit's uint to a signed 64-bit long.
    return (value + 2**63) % 2**64 - 2**63


def _or_none(value: str) -> str | None:
    # binding: `stringToPyOrNone` turns an empty cmd, sub_cmd or original into None (BuildKit
    # makes an instruction with an empty keyword from a logical line of blanks, e.g. `\` + EOL);
    # the test is made before `C.CString`, so a keyword that starts with a NUL becomes "".
    return _c_string(value) if value else None


def to_command(tree: Dockerfile, instruction: Instruction) -> dockerfile.Command:
    """What the oracle reports for `instruction`, computed from dockerfix's views."""
    trigger = instruction.trigger
    # binding parse.go: for ONBUILD, `child` becomes the trigger node before json, value and
    # heredocs are read, but cmd, original, flags and lines were read from the ONBUILD node.
    # So `flags` are ONBUILD's own (`ONBUILD --x RUN --y z` reports ("--x",)), `value`/`json`
    # are the trigger's, and heredocs are never reported for ONBUILD (BuildKit attaches them
    # to the ONBUILD node, the binding reads them from the trigger), though they are consumed
    # (end_line includes them) and `original` has no heredoc suffix.
    target = trigger if trigger is not None else instruction
    values: Sequence[str]
    if target.name == "ONBUILD":
        # An ONBUILD's Next is nil without a trigger (parseSubCommand: `if rest == ""`), else
        # a node with an empty Value holding the trigger: the binding reads () or ("",).
        values, is_json = ([""] if target.trigger is not None else []), False
    else:
        values, is_json = _v0125_arguments(target, bool(instruction.heredocs))
    if target.name in KEY_VALUE_INSTRUCTIONS:
        # v0.12.5 line_parsers.go newKeyValueNode(key, value): no third "sep" node; HEAD adds
        # "=" or "" (newKeyValueNode(key, value, sep)), which dockerfix's triples carry.
        values = [value for index, value in enumerate(values) if index % 3 != 2]
    heredocs = instruction.heredocs if trigger is None else ()
    original = instruction.logical_line
    if heredocs:
        # binding parse.go: "add heredocs extra lines to Original": "\n", then per heredoc its
        # raw content and its name (not the terminator line as written) and "\n".
        original += "\n" + "".join(doc.content + doc.name + "\n" for doc in heredocs)
    start, end = tree.instruction_lines(instruction)
    return dockerfile.Command(
        # The keyword as written: BuildKit's Node.Value keeps its case (only dispatch and
        # Dump lower-case it), so `run x` reports cmd "run".
        cmd=_or_none(instruction.keyword),
        sub_cmd=_or_none(trigger.keyword) if trigger is not None else None,
        json=is_json,
        original=_or_none(original),
        start_line=start,
        end_line=end,
        flags=tuple(_c_string(flag.value_text) for flag in instruction.flags),
        value=tuple(_c_string(value) for value in values),
        heredocs=tuple(
            dockerfile.Heredoc(
                name=_c_string(doc.name),
                file_descriptor=_c_long(doc.marker.file_descriptor),
                content=_c_string(doc.content),
            )
            for doc in heredocs
        ),
    )


def _v0125_arguments(instruction: Instruction, heredocs: bool) -> tuple[Sequence[str], bool]:
    """dockerfix's BuildKit arguments, with v0.12.5's lenient JSON decoding applied.

    `heredocs`: whether HEAD found heredocs for the instruction (or its ONBUILD).
    """
    values, is_json = instruction.buildkit_arguments
    if is_json:
        return values, True
    name = instruction.name
    if name in MAYBE_JSON or name in MAYBE_JSON_LIST:
        rest = instruction.value
        prefix: list[str] = []
    elif name == "HEALTHCHECK" and len(values) == 2:
        rest = values[1]
        prefix = [values[0]]
    else:
        return values, False
    decoded = _json_prefix(rest)
    if decoded is None:
        return values, False
    if heredocs:
        raise VersionDifference(
            f"v0.12.5 reads {instruction.keyword} {rest[:30]!r} as JSON, so without heredocs"
        )
    return [*prefix, *decoded], True


def _reject_constant(name: str) -> float:
    raise ValueError(name)  # NaN, Infinity: not JSON for Go


def _go_float(text: str) -> float:
    # Go decodes every JSON number into a float64 (interface{}); one that overflows fails.
    number = float(text)
    if number in (float("inf"), float("-inf")):
        raise ValueError(text)
    return number


_LONE_SURROGATE = re.compile(r"[\ud800-\udfff]")
_GO_JSON = json.JSONDecoder(
    parse_constant=_reject_constant, parse_float=_go_float, parse_int=_go_float
)


def _json_prefix(rest: str) -> list[str] | None:
    """v0.12.5's parseJSON where HEAD's rejects the text only for data after the array.

    v0.12.5 line_parsers.go parseJSON decodes with `json.NewDecoder(...).Decode(&myJSON)`,
    which stops after the first JSON value, so `RUN ["a"] junk` is the exec form ["a"]; HEAD
    uses `json.Unmarshal`, which rejects the trailing data, so it is the shell form.
    """
    rest = rest.lstrip(GO_SPACE)
    if not rest.startswith("["):
        return None
    try:
        decoded, end = _GO_JSON.raw_decode(rest)
    except (ValueError, RecursionError):
        return None
    if not rest[end:].strip(" \t\r\n"):
        return None  # HEAD decodes this too: a disagreement, not a version difference
    if not all(isinstance(item, str) for item in decoded):
        # v0.12.5: errDockerfileNotStringArray, a parse error; HEAD: the shell form.
        raise VersionDifference(f"v0.12.5 rejects {rest[:30]!r}: a JSON array of non-strings")
    # Go decodes a lone surrogate escape ("\\ud800") to U+FFFD.
    return [_LONE_SURROGATE.sub("\ufffd", item) for item in decoded]


# -- file-level version differences --------------------------------------------------------------

_V0125_DIRECTIVE = re.compile(
    rf"^#[{GO_RE_SPACE}]*([a-zA-Z][a-zA-Z0-9]*)[{GO_RE_SPACE}]*=[{GO_RE_SPACE}]*(.+?)"
    rf"[{GO_RE_SPACE}]*$"
)
_HEAD_DIRECTIVE = re.compile(
    rf"^([a-zA-Z][a-zA-Z0-9]*)[{GO_RE_SPACE}]*=[{GO_RE_SPACE}]*(.+?)[{GO_RE_SPACE}]*$"
)


def _directive_outcome(text: str, head: bool) -> tuple[str, str | None]:
    """The escape token and directive error BuildKit's DirectiveParser ends up with.

    v0.12.5 directives.go: keys `syntax` and `escape`, regex `^#\\s*(key)\\s*=\\s*(.+?)\\s*$`
    (RE2's ASCII \\s). HEAD: keys `syntax`, `escape` and `check`; it cuts the `#` and trims
    with unicode.IsSpace before matching. Both stop at the first line that is not a directive.
    """
    keys = {"syntax", "escape", "check"} if head else {"syntax", "escape"}
    escape, seen = "\\", set()
    for index, raw in enumerate(text.split("\n")):
        line = raw.rstrip("\r\n")
        if index == 0:
            line = line.removeprefix("\ufeff")
        line = line.lstrip(GO_SPACE)  # processLine(..., stripLeftWhitespace=true)
        if head:
            match = _HEAD_DIRECTIVE.match(line[1:].lstrip(GO_SPACE)) if line[:1] == "#" else None
        else:
            match = _V0125_DIRECTIVE.match(line)
        if match is None or match.group(1).lower() not in keys:
            break
        key = match.group(1).lower()
        if key in seen:
            return escape, f"only one {key} parser directive can be used"
        seen.add(key)
        if key == "escape":
            if match.group(2) not in ("\\", "`"):
                return escape, "invalid escape token"
            escape = match.group(2)
    return escape, None


_SPACED_HEREDOC = re.compile(r"<<-?[\t\r ]")
_MODIFIER = re.compile(r"\$\{[^}]*[#%/:+?-]")


def version_difference(text: str, tree: Dockerfile | None) -> str | None:
    """Why v0.12.5 and HEAD read `text` differently as a whole, or None if they should agree."""
    if _directive_outcome(text, head=False) != _directive_outcome(text, head=True):
        # e.g. `# check=skip=all` then `# escape=`` ` ``: v0.12.5 ends the directive block at
        # the unknown key `check`; or `#\vescape=...`: HEAD trims any unicode.IsSpace.
        return "the directive block (v0.12.5 knows no `check`, matches ASCII \\s only)"
    if tree is None:
        return None
    if tree.escape != "\\" and any(
        token.type in {"FLAG", "END_OF_FLAGS"} and ("\\" in token.text or "`" in token.text)
        for token in tree.tokens()
    ):
        # v0.12.5 split_command.go extractBuilderFlags hard-codes the backslash as the flag
        # escape (`if ch == '\\'`); HEAD uses the directive's (`if ch == d.escapeToken`). With
        # `# escape=`` ` ``, a flag word holding either character is split differently, which
        # moves where the arguments (or an ONBUILD trigger) start.
        return "a flag with a backslash or backtick under `# escape=`: v0.12.5 escapes with `\\`"
    for instruction in tree.instructions:
        target = instruction.trigger or instruction
        if target.name not in HEREDOC_INSTRUCTIONS or instruction.buildkit_arguments[1]:
            continue
        line = instruction.logical_line
        if "<<" not in line:
            continue
        # HEAD shell/lex.go processPossibleHeredoc keeps `<<` and the blanks after it in one
        # word, and HEAD parser.go reHeredoc allows `<<\s*NAME`, so `<< EOF` opens a heredoc;
        # v0.12.5's lexer splits `<<` from `EOF`, and `<<  <<EOF` is one word for HEAD only.
        if _SPACED_HEREDOC.search(line):
            return f"{line[:40]!r}: `<< NAME` is a heredoc for HEAD only"
        # ${...} with a modifier: HEAD shell/lex.go supports ${v#p}, ${v%p} and ${v/p/r},
        # on which v0.12.5's lexer fails (heredocsFromLine then finds no heredoc at all); and
        # HEAD's processStopOn resets the shared `sw.wordsBuffer` when processDollar scans a
        # ${v:-w}-style word, dropping what the enclosing word had so far (`<<${A:+x}` loses
        # its `<<`), where v0.12.5 kept a word per wordsStruct.
        if _MODIFIER.search(line):
            return f"{line[:40]!r}: ${{...}} with a modifier lexes differently at HEAD"
    return None


# -- judging one text ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    kind: Kind
    reason: str = ""
    tree: Dockerfile | None = field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        return self.kind != "disagree"


def compare(text: str) -> Verdict:
    """Judge dockerfix against the oracle on `text`.

    dockerfix may raise ParseError only: anything else is a disagreement.
    """
    try:
        tree: Dockerfile | None = parse(text)
        error: ParseError | None = None
    except ParseError as raised:
        tree, error = None, raised
    except Exception as crash:  # the crash is the finding
        return Verdict("disagree", f"dockerfix crashed: {type(crash).__name__}: {crash}")
    difference = version_difference(text, tree)
    actual: list[dockerfile.Command] = []
    if difference is None and tree is not None:
        try:
            actual = [to_command(tree, instruction) for instruction in tree.instructions]
        except VersionDifference as found:
            difference = str(found)
    if difference is not None:
        return Verdict("version", difference, tree)
    try:
        expected = run_oracle(text)
    except dockerfile.GoParseError as raised:
        return _judge_rejection(text, str(raised), error, tree)
    except UnicodeDecodeError as raised:
        return _judge_undecodable(raised, error, tree)
    if tree is None:
        assert error is not None
        if _rejection_may_be_version(text, error):
            return Verdict("version", f"only HEAD may reject this: {error.message}")
        return Verdict("disagree", f"dockerfix rejects ({error}), BuildKit accepts")
    return _judge_commands(tree, list(expected), actual)


def _rejection_may_be_version(text: str, error: ParseError) -> bool:
    """Whether dockerfix's error may be one only HEAD raises (BuildKit v0.12.5 accepts).

    Without a tree, version_difference cannot see what HEAD found; this over-approximates it
    from the text: heredoc errors on lines with `<< EOF`, ${} modifiers or JSON (see
    version_difference and _json_prefix), and flags with `\\` or `` ` `` under a backtick
    escape.
    """
    joined = _CONTINUATION.sub("", text)
    if "heredoc" in error.message and (
        _SPACED_HEREDOC.search(joined) or _MODIFIER.search(joined) or "[" in text
    ):
        return True
    backtick = _directive_outcome(text, head=True)[0] == "`"
    return backtick and bool(_BACKTICK_FLAG.search(joined))


_BACKTICK_FLAG = re.compile(r"(?:^|\s)--\S*[\\`]", re.MULTILINE)
# An escape character ending a line, and the comment or empty lines after it: removing these
# approximates BuildKit's joined logical lines.
_CONTINUATION = re.compile(r"[\\`][ \t]*\r*\n(?:[^\S\n]*(?:#[^\n]*)?\n)*")


def _judge_commands(
    tree: Dockerfile, expected: list[dockerfile.Command], actual: list[dockerfile.Command]
) -> Verdict:
    for index, (want, got) in enumerate(zip(expected, actual, strict=False)):
        if want != got:
            fields = [f for f in want._fields if getattr(want, f) != getattr(got, f)]
            details = "; ".join(
                f"{f}: BuildKit {getattr(want, f)!r} != dockerfix {getattr(got, f)!r}"
                for f in fields
            )
            return Verdict("disagree", f"instruction {index + 1} differs: {details}", tree)
    if len(expected) != len(actual):
        return Verdict(
            "disagree",
            f"BuildKit has {len(expected)} instructions, dockerfix {len(actual)}",
            tree,
        )
    return Verdict("agree", "", tree)


def _judge_rejection(
    text: str, message: str, error: ParseError | None, tree: Dockerfile | None
) -> Verdict:
    if error is None:
        return Verdict("disagree", f"BuildKit rejects ({message}), dockerfix accepts", tree)
    if message == NO_INSTRUCTIONS:
        # BuildKit also says this when its scanner stopped before the first instruction (a
        # first line over 64 KiB): Parse tests `root.StartLine < 0` before the scanner error.
        return Verdict("both-reject", message)
    low, high = buildkit_error_lines(text)
    if message.startswith("unterminated heredoc"):
        # BuildKit reports the range from the instruction to the end of the file
        # (withLocation(err, startLine, currentLine) after scanning for the terminator).
        high = len(_physical_lines(text))
    if not low <= error.line <= high:
        if _rejection_may_be_version(text, error):
            return Verdict("version", f"HEAD may reject this elsewhere: {error.message}")
        return Verdict(
            "disagree",
            f"both reject, but dockerfix blames line {error.line}, BuildKit lines "
            f"{low}-{high} ({message!r} / {error.message!r})",
        )
    return Verdict("both-reject", message)


def _judge_undecodable(
    raised: UnicodeDecodeError, error: ParseError | None, tree: Dockerfile | None
) -> Verdict:
    # The Go parse succeeded and produced invalid UTF-8 (BuildKit splits some words at
    # whitespace *bytes*, e.g. HEALTHCHECK at the 0x85 inside "ą"); the binding cannot return
    # it. dockerfix represents such bytes as lone surrogates: they must show up somewhere.
    if error is not None or tree is None:
        return Verdict("disagree", f"dockerfix rejects ({error}), BuildKit accepts")
    for instruction in tree.instructions:
        command = to_command(tree, instruction)
        strings = [command.original or "", *command.flags, *command.value]
        if any(not _is_utf8(s) for s in strings):
            return Verdict("agree", "", tree)
    return Verdict("disagree", f"BuildKit produced invalid UTF-8 ({raised}), dockerfix did not")


def _is_utf8(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _physical_lines(text: str) -> list[str]:
    return re.findall(r"[^\n]*\n|[^\n]+\Z", text)


def buildkit_error_lines(text: str) -> tuple[int, int]:
    """The lines a BuildKit parse error of `text` can reasonably be reported on.

    The oracle gives no position, so find it from prefixes of the file: `high` is one past the
    longest prefix BuildKit accepts (a prefix without instructions counts as accepted), and
    `low` is where the last instruction of that prefix starts (the failing instruction may be
    that one, continued).
    """
    lines = _physical_lines(text)
    for accepted in range(len(lines) - 1, -1, -1):
        prefix = "".join(lines[:accepted])
        try:
            commands = run_oracle(prefix)
        except dockerfile.GoParseError as raised:
            if str(raised) != NO_INSTRUCTIONS:
                continue
            return 1, accepted + 1
        except UnicodeDecodeError:
            return 1, accepted + 1
        return commands[-1].start_line, accepted + 1
    return 1, 1
