"""Hover: a finding's rule explanation; reference text for an instruction keyword or a flag."""

from __future__ import annotations

from lsprotocol import types

from dockerfix.rules import by_code
from dockerfix.syntax import Flag, Instruction, Keyword
from dockerfix_lsp.code_actions import as_diagnostic, instruction_at
from dockerfix_lsp.diagnostics import Analysis
from dockerfix_lsp.reference import flag_text, instruction_text


def hover(analysis: Analysis, position: types.Position, markdown: bool) -> types.Hover | None:
    index = analysis.index
    if position.line >= index.line_count or position.line < 0:
        return None
    offset = index.offset(position)
    sections: list[str] = []
    hover_range: types.Range | None = None
    for finding, diagnostic in analysis.pairs:
        if finding.start <= offset < finding.end or finding.start == offset == finding.end:
            sections.append(explain(finding.code, finding.name, finding.message, finding.url))
            hover_range = hover_range or as_diagnostic(diagnostic).range
    if analysis.tree is not None:
        reference = _reference_at(analysis, offset)
        if reference is not None:
            text, start, end = reference
            sections.append(text)
            hover_range = hover_range or index.range(start, end)
    if not sections:
        return None
    value = "\n\n---\n\n".join(sections)
    kind = types.MarkupKind.Markdown if markdown else types.MarkupKind.PlainText
    return types.Hover(contents=types.MarkupContent(kind=kind, value=value), range=hover_range)


def explain(code: str, name: str, message: str, url: str | None) -> str:
    rule = by_code().get(code)
    header = f"**{code}** `{name}`: {message}"
    if rule is None:
        return header
    docs = rule.docs().replace("\n## ", "\n#### ")
    if docs.startswith("## "):
        docs = "#### " + docs[3:]
    link = f"\n\n[{code} documentation]({url})" if url else ""
    return f"{header}\n\n{docs}{link}"


def _reference_at(analysis: Analysis, offset: int) -> tuple[str, int, int] | None:
    assert analysis.tree is not None
    instruction = instruction_at(analysis.tree, offset)
    while instruction is not None:
        keyword = next((c for c in instruction.children if isinstance(c, Keyword)), None)
        if keyword is not None and keyword.start <= offset < keyword.end:
            text = instruction_text(instruction.name)
            return (text, keyword.start, keyword.end) if text else None
        flag = next((f for f in instruction.flags if _contains(f, offset)), None)
        if flag is not None:
            text = flag_text(instruction.name, flag.name)
            return (text, flag.start, flag.end) if text else None
        trigger = instruction.trigger
        instruction = trigger if trigger is not None and _contains(trigger, offset) else None
    return None


def _contains(node: Flag | Instruction, offset: int) -> bool:
    return node.start <= offset < node.end
