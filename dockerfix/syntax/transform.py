"""LibCST-style transformers over the immutable tree, and the text edits a change amounts to.

A `Transformer` walks a tree; `visit_<Node>(node)` may return False to skip a subtree and
`leave_<Node>(original, updated)` returns the node to keep (the original, an updated copy, or
`REMOVE`). Untouched subtrees stay the very same objects, which is what lets `edits()` turn
any change into the smallest text edits over the original source.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any, Final

from dockerfix.syntax.nodes import Child, Node, Token


class _Remove:
    def __repr__(self) -> str:
        return "REMOVE"


REMOVE: Final = _Remove()
"""Return this from a `leave_` method to delete the node."""


class Transformer:
    def transform(self, node: Node) -> Node:
        updated = self._transform(node)
        if not isinstance(updated, Node):
            raise ValueError("a transformer cannot remove the node it started from")
        return updated

    def _transform(self, node: Child) -> Child | _Remove:
        name = type(node).__name__
        visit: Callable[[Any], bool | None] | None = getattr(self, f"visit_{name}", None)
        updated: Child = node
        if isinstance(node, Node) and (visit is None or visit(node) is not False):
            children: list[Child] = []
            changed = False
            for child in node.children:
                new = self._transform(child)
                changed = changed or new is not child
                if not isinstance(new, _Remove):
                    children.append(new)
            if changed:
                updated = node.with_changes(children=tuple(children))
        elif visit is not None and isinstance(node, Token):
            visit(node)
        leave: Callable[[Any, Any], Child | _Remove] | None = getattr(self, f"leave_{name}", None)
        return leave(node, updated) if leave is not None else updated


_WIDE = 16


class ReplaceNodes(Transformer):
    """Replace (or remove) given nodes, found by identity; other subtrees are not entered."""

    def __init__(self, replacements: Mapping[Child, Child | _Remove]) -> None:
        self.replacements = {id(node): new for node, new in replacements.items()}
        self.spans = [(node.start, node.end) for node in replacements]

    def _transform(self, node: Child) -> Child | _Remove:
        if id(node) in self.replacements:
            return self.replacements[id(node)]
        if not isinstance(node, Node) or node.start < 0:
            return super()._transform(node)
        if not self._contains_target(node):
            return node
        if len(node.children) < _WIDE:
            return super()._transform(node)
        # A wide node (a whole file): visit only the children that hold a target, found by
        # their start offsets, so a fix costs the same in a 20-line and a 2,000-line file.
        children = node.children
        starts = [child.start for child in children]
        updated: list[Child | _Remove] = list(children)
        changed = False
        for index in sorted({max(bisect_right(starts, start) - 1, 0) for start, _ in self.spans}):
            result = self._transform(children[index])
            if result is not children[index]:
                updated[index] = result
                changed = True
        if not changed:
            return node
        kept = tuple(child for child in updated if not isinstance(child, _Remove))
        return node.with_changes(children=kept)

    def _contains_target(self, node: Node) -> bool:
        return any(node.start <= start and end <= node.end for start, end in self.spans)


def replace(tree: Node, replacements: Mapping[Child, Child | _Remove]) -> Node:
    """A copy of `tree` with nodes swapped for others (LibCST's `deep_replace`)."""
    return ReplaceNodes(replacements).transform(tree)


@dataclass(frozen=True, slots=True, order=True)
class Edit:
    """Replace source[start:end] with `text`."""

    start: int
    end: int
    text: str


def edits(original: Node, updated: Node) -> list[Edit]:
    """The minimal text edits that turn `original.text` into `updated.text`.

    Subtrees that are the same objects produce nothing; a changed run of children becomes one
    edit, trimmed to the characters that really differ.
    """
    found: list[Edit] = []
    _diff(original, updated, found)
    return found


def _diff(old: Child, new: Child, found: list[Edit]) -> None:
    if old is new:
        return
    if not (isinstance(old, Node) and isinstance(new, Node) and type(old) is type(new)):
        _add(found, old.start, old.text, new.text)
        return
    before, after = old.children, new.children
    if len(before) == len(after):
        changed = [i for i in range(len(before)) if before[i] is not after[i]]
        if len(changed) == 1:  # the common case: one child replaced
            _diff(before[changed[0]], after[changed[0]], found)
            return
    # Children kept by identity split the change into separate edits.
    matcher = SequenceMatcher(None, [id(c) for c in before], [id(c) for c in after], autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "equal":
            _diff_run(old, i1, i2, after[j1:j2], found)


def _diff_run(parent: Node, low: int, high: int, new: tuple[Child, ...], found: list[Edit]) -> None:
    """Edits turning parent.children[low:high] into `new`: updated copies of old children are
    diffed against their originals, the rest becomes insertions, deletions and replacements."""
    old = parent.children
    pairs: list[tuple[int, int]] = []
    cursor = low
    for j, child in enumerate(new):
        match = next((i for i in range(cursor, high) if _derived(child, old[i])), None)
        if match is not None:
            pairs.append((match, j))
            cursor = match + 1
    previous_old, previous_new = low, 0
    for i, j in [*pairs, (high, len(new))]:
        if previous_old < i or previous_new < j:
            start = old[previous_old].start if previous_old < i else _boundary(parent, previous_old)
            old_text = "".join(c.text for c in old[previous_old:i])
            _add(found, start, old_text, "".join(c.text for c in new[previous_new:j]))
        if i < high:
            _diff(old[i], new[j], found)
        previous_old, previous_new = i + 1, j + 1


def _derived(new: Child, old: Child) -> bool:
    """Whether `new` looks like an updated copy of `old` (same kind, sharing a child)."""
    if isinstance(new, Token) or isinstance(old, Token):
        return isinstance(new, Token) and isinstance(old, Token) and new.type == old.type
    if type(new) is not type(old):
        return False
    kept = {id(c) for c in old.children}
    return any(id(c) in kept for c in new.children)


def _boundary(node: Node, index: int) -> int:
    """The source offset just before child `index` of a parsed node."""
    return node.children[index - 1].end if index else node.start


def _add(found: list[Edit], start: int, old: str, new: str) -> None:
    if old == new:
        return
    prefix = 0
    while prefix < min(len(old), len(new)) and old[prefix] == new[prefix]:
        prefix += 1
    suffix = 0
    while suffix < min(len(old), len(new)) - prefix and old[-1 - suffix] == new[-1 - suffix]:
        suffix += 1
    found.append(Edit(start + prefix, start + len(old) - suffix, new[prefix : len(new) - suffix]))


def apply(text: str, changes: list[Edit]) -> str:
    """Apply non-overlapping edits to `text`."""
    parts = []
    at = 0
    for edit in sorted(changes):
        parts.append(text[at : edit.start])
        parts.append(edit.text)
        at = edit.end
    parts.append(text[at:])
    return "".join(parts)
