"""Code actions: a quick fix per fixable finding, "ignore CODE for this instruction", fix-all.

All of them are computed from the analysis of the document's current version, so a code action
costs the edits of the fixes in its range, not a check.
"""

from __future__ import annotations

import difflib
import logging
import re
from bisect import bisect_right
from collections.abc import Sequence

from cattrs import Converter
from lsprotocol import types
from pygls.protocol import default_converter

from dockerfix.diagnostics import Diagnostic, Fix
from dockerfix.syntax import Comment, Dockerfile, Instruction, Token
from dockerfix_lsp.diagnostics import JSON, Analysis, is_safe, text_edits
from dockerfix_lsp.positions import LineIndex

logger = logging.getLogger(__name__)

FIX_ALL = "source.fixAll.dockerfix"
QUICKFIX = types.CodeActionKind.QuickFix.value
FIX_ALL_TITLE = "dockerfix: fix all auto-fixable problems"

_IGNORE = re.compile(r"^(\s*#\s*dockerfix:\s*ignore\[)([^\]]*)(\]\s*)$", re.IGNORECASE)
_IGNORE_FILE = re.compile(r"^(\s*#\s*dockerfix:\s*ignore-file\[)([^\]]*)(\]\s*)$", re.IGNORECASE)


_CONVERTER: Converter = default_converter()  # type: ignore[no-untyped-call]


def as_diagnostic(diagnostic: JSON) -> types.Diagnostic:
    """An LSP diagnostic's JSON as an lsprotocol object (for the few a code action carries)."""
    return _CONVERTER.structure(diagnostic, types.Diagnostic)


def wanted(kind: str, only: Sequence[str] | None) -> bool:
    """Whether the client asked for actions of `kind` (`only` lists kinds or their parents)."""
    if only is None:
        return True
    return any(kind == o or kind.startswith(o + ".") for o in only)


class Edits:
    """Builds workspace edits the way the client can apply them."""

    def __init__(self, uri: str, version: int, versioned: bool) -> None:
        self.uri = uri
        self.version = version
        self.versioned = versioned

    def workspace_edit(self, edits: list[types.TextEdit]) -> types.WorkspaceEdit:
        if self.versioned:
            document = types.OptionalVersionedTextDocumentIdentifier(
                uri=self.uri, version=self.version
            )
            changes: list[types.TextEdit | types.AnnotatedTextEdit | types.SnippetTextEdit]
            changes = list(edits)
            return types.WorkspaceEdit(
                document_changes=[types.TextDocumentEdit(text_document=document, edits=changes)]
            )
        return types.WorkspaceEdit(changes={self.uri: edits})


def in_range(analysis: Analysis, range_: types.Range) -> list[tuple[Diagnostic, JSON]]:
    """The findings that touch `range_` (a cursor position touches the finding it is in)."""
    start = analysis.index.offset(range_.start)
    end = analysis.index.offset(range_.end)
    return [
        (finding, diagnostic)
        for finding, diagnostic in analysis.pairs
        if finding.start <= end and finding.end >= start
    ]


def quick_fixes(analysis: Analysis, range_: types.Range, edits: Edits) -> list[types.CodeAction]:
    actions: list[types.CodeAction] = []
    ignores: list[types.CodeAction] = []
    seen_ignores: set[tuple[str, int]] = set()
    for finding, diagnostic in in_range(analysis, range_):
        fix = finding.fix
        if fix is not None and _edits_work_out(fix, analysis):
            safe = is_safe(fix)
            title = f"{fix.title} ({finding.code})"
            if not safe:
                title = f"{fix.title} ({finding.code}, unsafe fix: review the change)"
            actions.append(
                types.CodeAction(
                    title=title,
                    kind=types.CodeActionKind.QuickFix,
                    diagnostics=[as_diagnostic(diagnostic)],
                    is_preferred=safe or None,
                    edit=edits.workspace_edit(text_edits(fix, analysis.index)),
                )
            )
        if analysis.tree is None:
            continue
        instruction = instruction_at(analysis.tree, finding.start)
        key = (finding.code, instruction.start if instruction is not None else -1)
        if key not in seen_ignores:  # one per code and instruction
            seen_ignores.add(key)
            ignores.append(ignore_action(analysis, finding, diagnostic, edits))
    return actions + ignores


def _edits_work_out(fix: Fix, analysis: Analysis) -> bool:
    """Whether the fix's edits (worked out now, on first use) change anything; a rule's bug in
    them is logged and the fix not offered, like a failed check."""
    try:
        return bool(fix.edits)
    except Exception:
        logger.exception("a fix failed in %s", analysis.request.uri)
        return False


def ignore_action(
    analysis: Analysis, finding: Diagnostic, diagnostic: JSON, edits: Edits
) -> types.CodeAction:
    tree = analysis.tree
    assert tree is not None, "findings come from a parsed tree"
    instruction = instruction_at(tree, finding.start)
    if instruction is not None:
        edit = ignore_edit(tree, analysis.index, instruction, finding.code)
        title = f"Ignore {finding.code} for this instruction"
    else:
        edit = ignore_file_edit(tree, analysis.index, finding.code)
        title = f"Ignore {finding.code} for this file"
    return types.CodeAction(
        title=title,
        kind=types.CodeActionKind.QuickFix,
        diagnostics=[as_diagnostic(diagnostic)],
        edit=edits.workspace_edit([edit]),
    )


def instruction_at(tree: Dockerfile, offset: int) -> Instruction | None:
    """The top-level instruction whose text contains `offset`."""
    instructions = tree.instructions
    at = bisect_right(instructions, offset, key=_start) - 1
    if at < 0:
        return None
    instruction = instructions[at]
    return instruction if offset < instruction.end or offset == instruction.start else None


def _start(instruction: Instruction) -> int:
    return instruction.start


def ignore_edit(
    tree: Dockerfile, index: LineIndex, instruction: Instruction, code: str
) -> types.TextEdit:
    """`# dockerfix: ignore[CODE]` on its own line above the instruction, in its indentation
    and the file's line ending; or CODE added to such a comment already right above it."""
    existing = _ignore_comment_above(tree, instruction)
    if existing is not None:
        comment, match = existing
        codes = [c.strip() for c in match.group(2).split(",") if c.strip()]
        if code.lower() not in (c.lower() for c in codes):
            codes.append(code)
        line_start = comment.start
        content = comment.text.rstrip("\r\n")
        new = match.group(1) + ",".join(codes) + match.group(3)
        return types.TextEdit(
            range=index.range(line_start, line_start + len(content)), new_text=new
        )
    at = instruction.start
    first = instruction.children[0] if instruction.children else None
    indent = first.text if isinstance(first, Token) and first.type == "INDENT" else ""
    line = f"{indent}# dockerfix: ignore[{code}]{tree.line_ending}"
    return types.TextEdit(range=index.range(at, at), new_text=line)


def _ignore_comment_above(
    tree: Dockerfile, instruction: Instruction
) -> tuple[Comment, re.Match[str]] | None:
    """The `# dockerfix: ignore[...]` comment in the block right above the instruction."""
    children = tree.children
    position = next((i for i, c in enumerate(children) if c is instruction), None)
    if position is None:
        return None
    for child in reversed(children[:position]):
        if isinstance(child, Comment):
            match = _IGNORE.match(child.text.rstrip("\r\n"))
            if match:
                return child, match
            continue
        if isinstance(child, Token) and child.type == "BLANK_LINE":
            continue
        return None
    return None


def ignore_file_edit(tree: Dockerfile, index: LineIndex, code: str) -> types.TextEdit:
    """`# dockerfix: ignore-file[CODE]` above the first instruction, below the parser
    directives (a comment above them would end the directive block); or CODE added to such a
    comment already there."""
    for comment in tree.comments:
        content = comment.text.rstrip("\r\n")
        match = _IGNORE_FILE.match(content)
        if match:
            codes = [c.strip() for c in match.group(2).split(",") if c.strip()]
            if code.lower() not in (c.lower() for c in codes):
                codes.append(code)
            return types.TextEdit(
                range=index.range(comment.start, comment.start + len(content)),
                new_text=match.group(1) + ",".join(codes) + match.group(3),
            )
    line = f"# dockerfix: ignore-file[{code}]"
    if tree.instructions:
        at = tree.instructions[0].start
        return types.TextEdit(range=index.range(at, at), new_text=line + tree.line_ending)
    at = len(tree.text)  # no instruction: cannot happen in a file that parses
    return types.TextEdit(range=index.range(at, at), new_text=tree.line_ending + line)


def fix_all_action(
    analysis: Analysis, fixed_text: str | None, edits: Edits, *, with_edit: bool = True
) -> types.CodeAction | None:
    if fixed_text is None or fixed_text == analysis.text:
        return None
    action = types.CodeAction(title=FIX_ALL_TITLE, kind=FIX_ALL)
    if with_edit:
        action.edit = edits.workspace_edit(minimal_edits(analysis.text, fixed_text, analysis.index))
    return action


def minimal_edits(before: str, after: str, index: LineIndex) -> list[types.TextEdit]:
    """Edits that turn `before` into `after`, one per changed run of lines, each trimmed to the
    characters that change (applying them gives `after` exactly)."""
    old_lines = before.splitlines(keepends=True)
    new_lines = after.splitlines(keepends=True)
    old_offsets = _offsets(old_lines)
    new_offsets = _offsets(new_lines)
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    result = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        start, end = old_offsets[i1], old_offsets[i2]
        new = after[new_offsets[j1] : new_offsets[j2]]
        old = before[start:end]
        prefix = _common_prefix(old, new)
        suffix = _common_suffix(old[prefix:], new[prefix:])
        start, end = start + prefix, end - suffix
        new = new[prefix : len(new) - suffix]
        result.append(types.TextEdit(range=index.range(start, end), new_text=new))
    return result


def _offsets(lines: list[str]) -> list[int]:
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))
    return offsets


def _common_prefix(a: str, b: str) -> int:
    n = min(len(a), len(b))
    i = 0
    while i < n and a[i] == b[i]:
        i += 1
    # Never split a `\r\n` pair: an edit boundary between them has no LSP position.
    if 0 < i < len(a) and a[i - 1] == "\r" and a[i] == "\n":
        i -= 1
    return i


def _common_suffix(a: str, b: str) -> int:
    n = min(len(a), len(b))
    i = 0
    while i < n and a[len(a) - 1 - i] == b[len(b) - 1 - i]:
        i += 1
    if 0 < i < len(a) and a[len(a) - i] == "\n" and a[len(a) - i - 1] == "\r":
        i -= 1
    return i
