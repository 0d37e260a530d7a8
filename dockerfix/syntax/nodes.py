"""The lossless Dockerfile tree.

Every byte of the source belongs to exactly one `Token`; composite nodes own tokens and other
nodes, so `node.text` is the concatenation of its children and `Dockerfile.text` is the input.
Nodes are immutable: change one with `with_changes(...)`, build new ones from tokens. Parsed
nodes know their `start` offset in the source; nodes built by a codemod have `start == -1`. As
in LibCST, nodes compare and hash by identity (a fix names the very node it replaces); compare
`text` to compare source.

On top of the bytes, nodes offer views that read the instruction exactly as BuildKit does
(joined continuation lines, flags without their quotes, JSON arguments, heredoc bodies...).
"""

from __future__ import annotations

import csv
import dataclasses
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import accumulate
from typing import NamedTuple, TypeAlias, TypeVar

from dockerfix.compat import cached_property
from dockerfix.syntax import buildkit
from dockerfix.syntax.heredocs import HeredocMarker

# The tokens whose text BuildKit joins into an instruction's logical line.
CONTENT = frozenset({"KEYWORD", "WS", "FLAG", "END_OF_FLAGS", "ARGS"})


class Token(NamedTuple):
    """A run of source text of one kind (the kinds are the grammar's terminals).

    A HEREDOC_END token (a heredoc's terminator line) also carries the marker that opened it.
    """

    type: str
    text: str
    start: int = -1
    marker: HeredocMarker | None = None

    @property
    def end(self) -> int:
        return self.start + len(self.text) if self.start >= 0 else -1


Child: TypeAlias = "Token | Node"
N = TypeVar("N", bound="Node")


@dataclass(frozen=True, eq=False)
class Node:
    children: tuple[Child, ...]
    start: int = -1

    def __init__(self, children: tuple[Child, ...], start: int = -1) -> None:
        # Faster than the frozen dataclass's per-field object.__setattr__; parsing makes many.
        fields = self.__dict__
        fields["children"] = children
        fields["start"] = start

    @cached_property
    def text(self) -> str:
        return "".join(child.text for child in self.children)

    @property
    def end(self) -> int:
        return self.start + len(self.text) if self.start >= 0 else -1

    def with_changes(self: N, **changes: object) -> N:
        """A copy with some fields replaced; a changed node no longer has a source position."""
        return dataclasses.replace(self, start=-1, **changes)  # type: ignore[arg-type]

    def tokens(self) -> Iterator[Token]:
        for child in self.children:
            if isinstance(child, Token):
                yield child
            else:
                yield from child.tokens()

    def descendants(self) -> Iterator[Node]:
        for child in self.children:
            if isinstance(child, Node):
                yield child
                yield from child.descendants()

    def _joined(self, kind: str) -> str:
        return "".join([c.text for c in self.children if type(c) is Token and c.type == kind])

    def _nodes(self, kind: type[N]) -> tuple[N, ...]:
        return tuple(child for child in self.children if isinstance(child, kind))


@dataclass(frozen=True, eq=False)
class _Escaped(Node):
    """A node whose views depend on the file's escape character (`\\` or a backtick)."""

    escape: str = "\\"

    def __init__(self, children: tuple[Child, ...], start: int = -1, escape: str = "\\") -> None:
        fields = self.__dict__
        fields["children"] = children
        fields["start"] = start
        fields["escape"] = escape


@dataclass(frozen=True, eq=False)
class Directive(Node):
    """A parser directive line such as `# syntax=docker/dockerfile:1`."""

    @cached_property
    def _match(self) -> tuple[str, str]:
        match = buildkit.DIRECTIVE.match(self._joined("DIRECTIVE"))
        assert match is not None, "the lexer only makes directives of matching lines"
        return match.group(1).lower(), match.group(2)

    @property
    def name(self) -> str:
        return self._match[0]

    @property
    def value(self) -> str:
        return self._match[1]


@dataclass(frozen=True, eq=False)
class Comment(Node):
    """A comment line, at the top level or inside a continued instruction."""

    @property
    def value(self) -> str:
        """The text after `#`, stripped, as BuildKit records it."""
        return self._joined("COMMENT")[1:].strip(buildkit.GO_SPACE)


@dataclass(frozen=True, eq=False)
class Keyword(Node):
    @property
    def value(self) -> str:
        if len(self.children) == 1:  # no continuation inside the keyword: most are
            return self.children[0].text
        return self._joined("KEYWORD")


@dataclass(frozen=True, eq=False)
class Flag(_Escaped):
    """A leading `--name=value` word; `value` and friends are read as BuildKit reads them."""

    @property
    def word(self) -> str:
        """The flag as written, continuation lines joined."""
        return self._joined("FLAG")

    @cached_property
    def value_text(self) -> str:
        """The whole flag with quotes and escapes removed (BuildKit's flag string)."""
        flags, _, _ = buildkit.extract_flags(self.word, self.escape)
        return flags[0][2] if flags else ""

    @cached_property
    def name(self) -> str:
        return self.value_text[2:].partition("=")[0]

    @cached_property
    def value(self) -> str | None:
        _, equals, value = self.value_text[2:].partition("=")
        return value if equals else None

    @cached_property
    def options(self) -> tuple[tuple[str, str | None], ...]:
        """For `--mount`, `--secret`...: the ordered CSV options as (key, value or None)."""
        if not self.value:
            return ()
        fields = next(csv.reader([self.value]), [])
        options = []
        for item in fields:
            key, equals, value = item.partition("=")
            options.append((key.lower(), value if equals else None))
        return tuple(options)

    def option(self, key: str) -> str | None:
        return next((value for k, value in self.options if k == key), None)


@dataclass(frozen=True, eq=False)
class Arguments(Node):
    @property
    def value(self) -> str:
        """The arguments as BuildKit sees them: continuations joined, comment lines dropped."""
        return self._joined("ARGS")


@dataclass(frozen=True, eq=False)
class Heredoc(Node):
    """A heredoc body and its terminator line."""

    @property
    def marker(self) -> HeredocMarker:
        end = next(c for c in self.children if isinstance(c, Token) and c.type == "HEREDOC_END")
        marker = end.marker
        assert marker is not None, "parsed heredocs carry their marker"
        return marker

    @property
    def name(self) -> str:
        return self.marker.name

    @property
    def chomp(self) -> bool:
        return self.marker.chomp

    @property
    def quoted(self) -> bool:
        return self.marker.quoted

    @property
    def body(self) -> str:
        return self._joined("HEREDOC_BODY")

    @property
    def content(self) -> str:
        """The body as BuildKit's parser stores it (raw lines, line endings kept)."""
        return self.body


@dataclass(frozen=True, eq=False)
class Instruction(_Escaped):
    """One instruction: its keyword, flags, arguments (or ONBUILD trigger) and heredocs."""

    # Read from the children when the node is made: every check reads them on every
    # instruction, and one pass over the children costs less than a scan per view.
    keyword: str = field(init=False, repr=False)  # as written
    name: str = field(init=False, repr=False)  # upper case: `RUN`, `FROM`...
    flags: tuple[Flag, ...] = field(init=False, repr=False)
    arguments: Arguments | None = field(init=False, repr=False)
    trigger: Instruction | None = field(init=False, repr=False)  # the instruction an ONBUILD wraps
    heredocs: tuple[Heredoc, ...] = field(init=False, repr=False)

    def __init__(self, children: tuple[Child, ...], start: int = -1, escape: str = "\\") -> None:
        keyword: Keyword | None = None
        flags: list[Flag] = []
        heredocs: list[Heredoc] = []
        arguments = trigger = None
        for child in children:
            kind = type(child)
            if kind is Flag:
                flags.append(child)  # type: ignore[arg-type]
            elif kind is Heredoc:
                heredocs.append(child)  # type: ignore[arg-type]
            elif kind is Arguments:
                arguments = arguments or child
            elif kind is Keyword:
                keyword = keyword or child  # type: ignore[assignment]
            elif kind is Instruction:
                trigger = trigger or child
        word = keyword.value if keyword is not None else ""
        super().__init__(children, start, escape)
        fields = self.__dict__
        fields["keyword"] = word
        fields["name"] = word.upper()
        fields["flags"] = tuple(flags)
        fields["arguments"] = arguments
        fields["trigger"] = trigger
        fields["heredocs"] = tuple(heredocs)

    def flag(self, name: str) -> Flag | None:
        for flag in self.flags:  # a loop: rules ask every instruction, most have no flags
            if flag.name == name:
                return flag
        return None

    @cached_property
    def comments(self) -> tuple[Comment, ...]:
        """Comment lines inside the instruction's continuation lines."""
        return tuple(node for node in self.descendants() if isinstance(node, Comment))

    @property
    def value(self) -> str:
        """The argument text as BuildKit sees it (for ONBUILD: the trigger's logical line)."""
        if self.trigger is not None:
            return self.trigger.logical_line.strip(buildkit.GO_SPACE)
        return self.arguments.value if self.arguments else ""

    @cached_property
    def logical_line(self) -> str:
        """Keyword, flags and arguments with continuations joined (BuildKit's `Original`)."""
        return "".join(t.text for t in self.tokens() if t.type in CONTENT)

    @cached_property
    def buildkit_arguments(self) -> tuple[list[str], bool]:
        """BuildKit's argument list for this instruction and whether it was JSON."""
        return buildkit.arguments(self.name.lower(), self.value, self.escape)

    @property
    def json(self) -> list[str] | None:
        """The exec-form (JSON) arguments, or None for the shell form."""
        values, is_json = self.buildkit_arguments
        if not is_json:
            return None
        return values[1:] if self.name == "HEALTHCHECK" else values

    def dump(self) -> str:
        """This instruction in BuildKit's AST dump format, e.g. `(run "echo hi")`."""
        parts = [self.keyword.lower()]
        flags = [flag.value_text for flag in self.flags]
        if flags:
            parts.append("[" + " ".join(buildkit.go_quote(f) for f in flags) + "]")
        if self.name == "ONBUILD":
            if self.trigger is not None:
                parts.append("(" + self.trigger.dump() + ")")
        else:
            parts.extend(buildkit.go_quote(value) for value in self.buildkit_arguments[0])
        return " ".join(parts).strip(buildkit.GO_SPACE)


@dataclass(frozen=True, slots=True)
class Location:
    """A 1-based line and 1-based column (in code points) in the source."""

    line: int
    column: int


@dataclass(frozen=True, slots=True)
class Span:
    start: int
    end: int
    start_location: Location
    end_location: Location


@dataclass(frozen=True, eq=False)
class Stage:
    """A build stage: its FROM instruction and the instructions up to the next FROM."""

    index: int
    from_instruction: Instruction
    instructions: tuple[Instruction, ...]

    @cached_property
    def _from_args(self) -> list[str]:
        return self.from_instruction.buildkit_arguments[0]

    @property
    def base_image(self) -> str:
        return self._from_args[0] if self._from_args else ""

    @property
    def name(self) -> str | None:
        """The stage name, lower-cased as BuildKit does, or None."""
        args = self._from_args
        if len(args) == 3 and args[1].lower() == "as":
            return args[2].lower()
        return None

    @property
    def platform(self) -> str | None:
        flag = self.from_instruction.flag("platform")
        return flag.value if flag else None


@dataclass(frozen=True, eq=False)
class Dockerfile(_Escaped):
    """The whole file. `parse(text).text == text` for every input."""

    @cached_property
    def directives(self) -> tuple[Directive, ...]:
        return self._nodes(Directive)

    def directive(self, name: str) -> Directive | None:
        return next((d for d in self.directives if d.name == name), None)

    @cached_property
    def instructions(self) -> tuple[Instruction, ...]:
        """Every instruction in order, global ARGs before the first FROM included."""
        return self._nodes(Instruction)

    @cached_property
    def comments(self) -> tuple[Comment, ...]:
        """Every comment line, including those inside continued instructions."""
        found: list[Comment] = []
        for child in self.children:
            if isinstance(child, Comment):
                found.append(child)
            elif isinstance(child, Instruction):
                found.extend(child.comments)
        return tuple(sorted(found, key=lambda comment: comment.start))

    @cached_property
    def stages(self) -> tuple[Stage, ...]:
        stages: list[Stage] = []
        current: Instruction | None = None
        body: list[Instruction] = []
        for instruction in self.instructions:
            if instruction.name == "FROM":
                if current is not None:
                    stages.append(Stage(len(stages), current, tuple(body)))
                current, body = instruction, []
            elif current is not None:
                body.append(instruction)
        if current is not None:
            stages.append(Stage(len(stages), current, tuple(body)))
        return tuple(stages)

    @property
    def global_args(self) -> tuple[Instruction, ...]:
        """The ARG instructions before the first FROM."""
        first_from = next(
            (i for i, ins in enumerate(self.instructions) if ins.name == "FROM"),
            len(self.instructions),
        )
        return self.instructions[:first_from]

    @property
    def has_bom(self) -> bool:
        return any(isinstance(c, Token) and c.type == "BOM" for c in self.children[:1])

    @cached_property
    def line_ending(self) -> str:
        """The file's dominant line ending, `\\n` or `\\r\\n`."""
        crlf = self.text.count("\r\n")
        return "\r\n" if crlf and crlf * 2 >= self.text.count("\n") else "\n"

    @cached_property
    def _line_starts(self) -> list[int]:
        lengths = [len(line) + 1 for line in self.text.split("\n")]
        return list(accumulate(lengths[:-1], initial=0))

    def location(self, offset: int) -> Location:
        """The 1-based line and column of a source offset."""
        line = bisect_right(self._line_starts, offset)
        return Location(line, offset - self._line_starts[line - 1] + 1)

    def span(self, node: Node | Token) -> Span:
        if node.start < 0:
            raise ValueError("a node built by a codemod has no position in the source")
        return Span(node.start, node.end, self.location(node.start), self.location(node.end))

    def line_text(self, line: int) -> str:
        """The text of a 1-based line, without its line ending."""
        start = self._line_starts[line - 1]
        end = self._line_starts[line] if line < len(self._line_starts) else len(self.text)
        return self.text[start:end].rstrip("\r\n")

    def utf16_column(self, location: Location) -> int:
        """The 0-based column of a location in UTF-16 code units, as LSP counts them."""
        prefix = self.line_text(location.line)[: location.column - 1]
        return len(prefix.encode("utf-16-le")) // 2

    def instruction_lines(self, instruction: Instruction) -> tuple[int, int]:
        """BuildKit's StartLine and EndLine: first and last physical line, heredocs included."""
        end = instruction.end
        return self.location(instruction.start).line, self.location(max(end - 1, 0)).line

    def to_buildkit_dump(self) -> str:
        """BuildKit's AST dump (the format of its parser fixtures' `result` files)."""
        return "".join(f"({instruction.dump()})\n" for instruction in self.instructions)
