from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from dockerfix.compat import cached_property
from dockerfix.expansion import ExpansionError, process_word
from dockerfix.rules.base import Rule
from dockerfix.semantics import StageInfo
from dockerfix.syntax import Instruction
from dockerfix.syntax.buildkit import GO_SPACE, HEREDOC_WORD, go_quote

# moby/patternmatcher (BK:vendor/github.com/moby/patternmatcher/patternmatcher.go) and its
# ignorefile.ReadAll, as BuildKit's validateCopySourcePath uses them (BUILDKIT.md §6 #19).
_SHOULD_ESCAPE = frozenset(".+()|{}$")
ROOT_PATTERNS = frozenset({"*", "**", "**/*"})


def go_clean(path: str) -> str:
    """Go's path/filepath.Clean on a slash-separated path."""
    if not path:
        return "."
    rooted = path.startswith("/")
    parts: list[str] = []
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if parts and parts[-1] != "..":
                parts.pop()
            elif not rooted:
                parts.append("..")
            continue
        parts.append(part)
    cleaned = "/".join(parts)
    return ("/" + cleaned if rooted else cleaned) or "."


def go_dir(path: str) -> str:
    """Go's filepath.Dir."""
    return go_clean(path[: path.rfind("/") + 1])


def read_ignore_file(text: str) -> list[str]:
    """ignorefile.ReadAll: the patterns of a .dockerignore, cleaned, `#` lines dropped."""
    patterns = []
    for number, raw in enumerate(text.split("\n")):
        line = raw.removesuffix("\r")
        if number == 0:
            line = line.removeprefix("\ufeff")
        if line.startswith("#"):
            continue
        pattern = line.strip(GO_SPACE)
        if not pattern:
            continue
        invert = pattern.startswith("!")
        if invert:
            pattern = pattern[1:].strip(GO_SPACE)
        if pattern:
            pattern = go_clean(pattern)
            if len(pattern) > 1 and pattern.startswith("/"):
                pattern = pattern[1:]
        patterns.append("!" + pattern if invert else pattern)
    return patterns


def _valid_glob(pattern: str) -> bool:
    """Roughly filepath.Match's ErrBadPattern: trailing escape, unclosed or empty `[...]`."""
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            if i + 1 == len(pattern):
                return False
            i += 2
            continue
        if ch == "[":
            end = i + 1
            if end < len(pattern) and pattern[end] == "^":
                end += 1
            start = end
            while end < len(pattern) and (pattern[end] != "]" or end == start):
                if pattern[end] == "]":
                    return False  # `[]`: an empty class
                end += 2 if pattern[end] == "\\" else 1
            if end >= len(pattern):
                return False
            i = end
        i += 1
    return True


@dataclass
class Pattern:
    cleaned: str
    exclusion: bool = False
    kind: str = field(default="", init=False)
    regex: re.Pattern[str] | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self._compile()

    def _compile(self) -> None:
        regex = "^"
        kind = "exact"
        i = 0
        chars = self.cleaned
        pos = 0
        while pos < len(chars):
            ch = chars[pos]
            pos += 1
            if ch == "*":
                if pos < len(chars) and chars[pos] == "*":
                    pos += 1
                    if pos < len(chars) and chars[pos] == "/":
                        pos += 1
                    if pos == len(chars):
                        if kind == "exact":
                            kind = "prefix"
                        else:
                            regex += ".*"
                            kind = "regexp"
                    else:
                        regex += "(.*/)?"
                        kind = "regexp"
                    if i == 0:
                        kind = "suffix"
                else:
                    regex += "[^/]*"
                    kind = "regexp"
            elif ch == "?":
                regex += "[^/]"
                kind = "regexp"
            elif ch in _SHOULD_ESCAPE:
                regex += "\\" + ch
            elif ch == "\\":
                if pos < len(chars):
                    regex += "\\" + chars[pos]
                    pos += 1
                    kind = "regexp"
                else:
                    regex += "\\\\"
            elif ch in "[]":
                regex += ch
                kind = "regexp"
            else:
                regex += ch
            i += 1
        self.kind = kind
        if kind == "regexp":
            try:
                self.regex = re.compile(regex + r"\Z")
            except re.error:
                self.regex = None

    def match(self, path: str) -> bool | None:
        """Does `path` match? None for a pattern Go cannot compile (ErrBadPattern)."""
        if self.kind == "exact":
            return path == self.cleaned
        if self.kind == "prefix":
            return path.startswith(self.cleaned[:-2])
        if self.kind == "suffix":
            suffix = self.cleaned[2:]
            return path.endswith(suffix) or (suffix[:1] == "/" and path == suffix[1:])
        return None if self.regex is None else self.regex.match(path) is not None


@dataclass
class PatternMatcher:
    """patternmatcher.PatternMatcher over the patterns of an ignore file."""

    patterns: list[Pattern]

    @classmethod
    def new(cls, patterns: Sequence[str]) -> PatternMatcher | None:
        """patternmatcher.New; None where it returns an error (BuildKit then fails)."""
        compiled = []
        for raw in patterns:
            pattern = raw.strip(GO_SPACE)
            if not pattern:
                continue
            pattern = go_clean(pattern)
            exclusion = pattern.startswith("!")
            if exclusion:
                if len(pattern) == 1:
                    return None
                pattern = pattern[1:]
            if not _valid_glob(pattern):
                return None
            compiled.append(Pattern(pattern, exclusion))
        return cls(compiled)

    @cached_property
    def exclusions(self) -> bool:
        return any(p.exclusion for p in self.patterns)

    def root_ignored(self) -> bool:
        """copySourceRootIgnored: a pattern that excludes every entry of the context root."""
        return any(not p.exclusion and p.cleaned in ROOT_PATTERNS for p in self.patterns)

    def matches_or_parent_matches(self, path: str) -> bool | None:
        """MatchesOrParentMatches; None where Go returns an error."""
        matched = False
        parent = go_dir(path)
        parent_dirs = parent.split("/")
        for pattern in self.patterns:
            if pattern.exclusion != matched:
                continue
            match = pattern.match(path)
            if match is None:
                return None
            if not match and parent != ".":
                match = any(
                    pattern.match("/".join(parent_dirs[: i + 1])) for i in range(len(parent_dirs))
                )
            if match:
                matched = not pattern.exclusion
        return matched


class CopyIgnoredFile(Rule):
    """
    ## What it does
    Reports a `COPY` or `ADD` source from the build context that `.dockerignore` excludes
    (BuildKit's `CopyIgnoredFile` check). The rule needs the ignore file's text: the command
    line reads `.dockerignore` (or `<Dockerfile>.dockerignore`) beside the Dockerfile; without
    one nothing is reported.

    ## Why is this bad?
    Excluded files are not sent to the builder, so the instruction copies nothing or fails
    with "not found", usually long after the ignore file was changed. The rule matches the way
    BuildKit does: each source, cleaned (`./tmp/x` is `tmp/x`), against the ignore patterns
    with moby/patternmatcher, a source also counting as excluded when one of its parent
    directories is. As in BuildKit, nothing is reported when the ignore file has `!`
    exceptions (a file may be re-included inside an excluded directory), `.` and `/` are only
    reported for the patterns `*`, `**` and `**/*`, and `COPY --from` sources are not from the
    context. Sources with variables are checked when the stage defines them.

    ## Example
    With this `.dockerignore`:
    ```text
    tmp
    ```

    ```dockerfile
    FROM scratch
    COPY ./tmp/helloworld.txt /helloworld.txt
    ```

    Use instead (or stop ignoring the file):
    ```dockerfile
    FROM scratch
    COPY ./forever/helloworld.txt /helloworld.txt
    ```

    (BuildKit's own rule page uses the pattern `*/tmp/*`, which matches `a/tmp/x` but not
    `tmp/x`: BuildKit does not warn on that example.)

    ## Fix safety
    No fix: either the ignore file or the instruction is wrong, and only the author knows
    which.

    ## References
    - https://docs.docker.com/reference/build-checks/copy-ignored-file/
    - https://docs.docker.com/build/concepts/context/#dockerignore-files
    """

    code = "BK019"
    name = "CopyIgnoredFile"
    buildkit_check = "CopyIgnoredFile"
    # The examples need a .dockerignore, which the example tables cannot carry: the INVALID
    # cases are in tests/test_rules_buildkit_b.py.
    NEEDS_CONTEXT = True

    VALID = (
        "FROM scratch\nCOPY ./forever/helloworld.txt /helloworld.txt\n",
        "FROM scratch\nCOPY . .\n",
        "FROM alpine AS build\nRUN mkdir /out\nFROM scratch\nCOPY --from=build /out /\n",
    )

    @cached_property
    def matcher(self) -> PatternMatcher | None:
        if self.context.dockerignore is None:
            return None
        patterns = read_ignore_file(self.context.dockerignore)
        matcher = PatternMatcher.new(patterns) if patterns else None
        return None if matcher is None or matcher.exclusions else matcher

    def visit_instruction(self, instruction: Instruction, stage: StageInfo | None) -> None:
        if stage is None or instruction.name not in ("COPY", "ADD") or self.matcher is None:
            return
        source_of = instruction.flag("from")
        if instruction.name == "COPY" and source_of is not None and source_of.value:
            return
        values, _ = instruction.buildkit_arguments
        verb = "Copy" if instruction.name == "COPY" else "Add"
        env: dict[str, str] | None = None
        for source in values[:-1]:
            heredoc = HEREDOC_WORD.match(source)
            if (heredoc and heredoc.group(3)) or "://" in source or source.startswith("git@"):
                continue
            if "$" in source and env is None:
                env = stage.env_at(instruction)
            try:
                expansion = process_word(source, env or {}, instruction.escape)
            except ExpansionError:
                continue
            if expansion.unmatched:
                continue  # the value comes from outside the file
            path = go_clean(expansion.result)
            if path in (".", "/") and not self.matcher.root_ignored():
                continue
            if self.matcher.matches_or_parent_matches(path):
                self.report(
                    instruction,
                    f"Attempting to {verb} file {go_quote(path)} that is excluded by .dockerignore",
                )
