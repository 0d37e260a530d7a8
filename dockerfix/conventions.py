"""New text in the file's own style: line endings, escape character, keyword case, indent.

Codemods build new nodes by parsing small snippets written with these conventions, so new
nodes are real parsed nodes and the file keeps its look.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise

from dockerfix.compat import cached_property
from dockerfix.syntax import Dockerfile, Flag, Instruction, Node, Token, parse

_INDENT = re.compile(r"[ \t]+")


@dataclass(frozen=True)
class Conventions:
    tree: Dockerfile

    @staticmethod
    @lru_cache(maxsize=2)
    def of(tree: Dockerfile) -> Conventions:
        """The conventions of `tree`, one per tree: every fix made on it shares what reading
        them cost (they look at the whole file). Fixes are made on one tree at a time; a
        larger cache would only keep a language server's old trees alive."""
        return Conventions(tree)

    @property
    def newline(self) -> str:
        return self.tree.line_ending

    @property
    def escape(self) -> str:
        return self.tree.escape

    @cached_property
    def lowercase_keywords(self) -> bool:
        """True when most keywords are written in lower case."""
        keywords = [i.keyword for i in self.tree.instructions if i.keyword.isalpha()]
        lower = sum(k.islower() for k in keywords)
        return lower * 2 > len(keywords)

    def keyword(self, name: str) -> str:
        return name.lower() if self.lowercase_keywords else name.upper()

    @cached_property
    def continuation_indent(self) -> str:
        """The most common indent of continuation lines (four spaces if there are none)."""
        indents: Counter[str] = Counter()
        for instruction in self.tree.instructions:
            tokens = list(instruction.tokens())
            for before, after in pairwise(tokens):
                if before.type == "LINE_CONTINUATION" and after.type in ("WS", "ARGS", "FLAG"):
                    match = _INDENT.match(after.text)
                    if match:
                        indents[match.group()] += 1
        return indents.most_common(1)[0][0] if indents else "    "

    def line_break(self) -> str:
        """Escape, line ending and indent: how a long instruction continues on the next line."""
        return f" {self.escape}{self.newline}{self.continuation_indent}"

    def instruction(self, text: str) -> Instruction:
        """Parse one instruction written with this file's escape character; no line ending."""
        return _snippet(text, self.escape)

    def instruction_line(self, text: str) -> Instruction:
        """Like `instruction`, ending with this file's line ending."""
        return self.instruction(text + self.newline)

    def flag(self, text: str) -> Flag:
        """A `--name=value` flag node."""
        return self.instruction(f"RUN {text} true").flags[0]


@lru_cache(maxsize=1024)
def _snippet(text: str, escape: str) -> Instruction:
    # Nodes are immutable, so codemods that build the same snippet again can share it.
    prefix = f"# escape={escape}\n" if escape != "\\" else ""
    (instruction,) = parse(prefix + text).instructions
    return instruction


def insert_flag(instruction: Instruction, flag: Flag, ws: str = " ") -> Instruction:
    """The instruction with `flag` added after the existing flags (before any `--`)."""
    children = list(instruction.children)
    anchor = _last_flag_index(children)
    children[anchor + 1 : anchor + 1] = [Token("WS", ws), flag]
    return instruction.with_changes(children=tuple(children))


def _last_flag_index(children: list[Token | Node]) -> int:
    index = 0
    for i, child in enumerate(children):
        if isinstance(child, Node) and type(child).__name__ in ("Keyword", "Flag"):
            index = i
    return index
