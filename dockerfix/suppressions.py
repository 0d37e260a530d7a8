"""Inline suppressions: dockerfix's own comments and BuildKit's `# check=` settings.

- `# dockerfix: ignore[CODE,...]` (or bare `# dockerfix: ignore`) in the comment block right
  above an instruction silences those rules for that instruction.
- `# dockerfix: ignore-file[CODE,...]` (or bare) anywhere silences them for the whole file.
- For rules that mirror a BuildKit check, BuildKit's own `# check=skip=Name,...` directive
  (or `skip=all`) and, as in dockerfile 1.21+, a `# check=skip=...` comment right above an
  instruction are honoured. Like BuildKit, the value ends at the first space.
- BuildKit's experimental checks run only where the `# check=experimental=Name,...` directive
  (or `experimental=all`) asks for them: `Suppressions.experimental` is that list.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field

from dockerfix.syntax import Comment, Dockerfile, Instruction, Token

_OWN = re.compile(r"#\s*dockerfix:\s*(ignore-file|ignore)(?:\[([^\]]*)\])?\s*$", re.IGNORECASE)
_CHECK = re.compile(r"#\s*check\s*=\s*(\S+)", re.IGNORECASE)
ALL = "*"


@dataclass
class Suppressions:
    file: set[str] = field(default_factory=set)
    buildkit_file: set[str] = field(default_factory=set)
    # (start, end) offsets of an instruction -> codes (or ALL) silenced there
    spans: list[tuple[int, int, set[str]]] = field(default_factory=list)
    buildkit_spans: list[tuple[int, int, set[str]]] = field(default_factory=list)
    # The experimental BuildKit checks the `# check=` directive turns on (not a suppression,
    # but read from the same directive).
    experimental: frozenset[str] = frozenset()

    def __bool__(self) -> bool:
        """Whether anything is suppressed (most files: nothing)."""
        return bool(self.file or self.spans or self.buildkit_file or self.buildkit_spans)

    def silences(self, code: str, name: str, buildkit_check: str | None, offset: int) -> bool:
        if listed(self.file, code, name):
            return True
        if any(listed(codes, code, name) for s, e, codes in self.spans if s <= offset < e):
            return True
        if buildkit_check is None:
            return False
        if listed(self.buildkit_file, buildkit_check):
            return True
        return any(
            listed(codes, buildkit_check) for s, e, codes in self.buildkit_spans if s <= offset < e
        )


def listed(codes: Collection[str], *keys: str) -> bool:
    """Whether `codes` (lower-case codes or names, or ALL) names any of `keys`."""
    return ALL in codes or any(key.lower() in codes for key in keys)


def _codes(listed: str | None) -> set[str]:
    """Lower-cased codes or names from `[A,B]`; no list means every rule."""
    if listed is None:
        return {ALL}
    return {part.strip().lower() for part in listed.split(",") if part.strip()}


def _lint_option(value: str, wanted: str) -> set[str]:
    """The check names of one key (`skip`, `experimental`) of BuildKit's ParseLintOptions,
    lower-cased; `all` becomes ALL."""
    names: set[str] = set()
    for part in value.split(";"):
        key, _, listed = part.partition("=")
        if key.strip().lower() == wanted:
            names |= {n.strip().lower() for n in listed.split(",") if n.strip()}
    return {ALL} if "all" in names else names


def find(tree: Dockerfile) -> Suppressions:
    found = Suppressions()
    text = tree.text
    if "dockerfix" not in text and "check" not in text.lower():
        return found  # the common case: nothing to look for
    check = tree.directive("check")
    if check is not None:
        options = check.value.split(" ")[0]
        found.buildkit_file = _lint_option(options, "skip")
        found.experimental = frozenset(_lint_option(options, "experimental"))
    for comment in tree.comments:
        match = _OWN.match(comment.text.strip())
        if match and match.group(1).lower() == "ignore-file":
            found.file |= _codes(match.group(2))
    pending: list[Comment] = []
    for child in tree.children:
        if isinstance(child, Comment):
            pending.append(child)
            continue
        if isinstance(child, Instruction):
            _attach(found, pending, child)
        if not (isinstance(child, Token) and child.type == "BLANK_LINE"):
            pending = []
    return found


def _attach(found: Suppressions, comments: list[Comment], instruction: Instruction) -> None:
    span = (instruction.start, instruction.end)
    first_check = True
    for comment in comments:
        text = comment.text.strip()
        own = _OWN.match(text)
        if own and own.group(1).lower() == "ignore":
            found.spans.append((*span, _codes(own.group(2))))
        check = _CHECK.match(text)
        if check and first_check:
            first_check = False
            found.buildkit_spans.append((*span, _lint_option(check.group(1), "skip")))
