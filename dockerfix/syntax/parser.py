"""`parse()`: the lexer's tokens, structured by the Lark grammar into the lossless tree.

This is the only module that imports lark.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from lark import Lark
from lark.lexer import Lexer as LarkLexer
from lark.parsers.lalr_analysis import Shift

from dockerfix.syntax.errors import ParseError
from dockerfix.syntax.lexer import Lexer
from dockerfix.syntax.nodes import (
    Arguments,
    Comment,
    Directive,
    Dockerfile,
    Flag,
    Heredoc,
    Instruction,
    Keyword,
    Node,
    Token,
)


def _grammar_path() -> Path:
    # An installed wheel carries the grammar beside this module; a source checkout keeps it in
    # the top-level grammar/ folder.
    beside = Path(__file__).with_name("dockerfile.lark")
    return beside if beside.exists() else Path(__file__).parents[2] / "grammar" / "dockerfile.lark"


class _NoLexer(LarkLexer):
    """Tokens come from dockerfix's own lexer; Lark never lexes."""

    def __init__(self, conf: Any) -> None:
        pass

    def lex(self, state: Any, parser_state: Any) -> Iterator[Any]:
        raise NotImplementedError


# What each named rule builds, and whether the node takes the file's escape character; rules
# starting with `_` are spliced into their parent. (`start`, the whole file, is built by parse.)
_BUILDERS: dict[str, tuple[type[Node], bool]] = {
    "directive": (Directive, False),
    "comment": (Comment, False),
    "instruction": (Instruction, True),
    "trigger": (Instruction, True),
    "keyword": (Keyword, False),
    "flag": (Flag, True),
    "arguments": (Arguments, False),
    "heredoc": (Heredoc, False),
}


def _compile_table(grammar: Lark) -> tuple[list[dict[str, Any]], int, int]:
    """Lark's LALR table as a list, per state, of {symbol: action}.

    A shift is (True, next state); a reduction is (False, rule name, length, which children
    are spliced-in `_rules` (or None), the node it builds (or None for a spliced rule)).
    """
    table = grammar.parser.parser.parser.parse_table
    states: list[dict[str, Any]] = [{} for _ in range(len(table.states))]
    for state, actions in table.states.items():
        for symbol, (action, target) in actions.items():
            if action is Shift:
                states[state][str(symbol)] = (True, target)
                continue
            name = str(target.origin.name)
            splice = tuple(not sym.is_term and sym.name.startswith("_") for sym in target.expansion)
            states[state][str(symbol)] = (
                False,
                name,
                len(target.expansion),
                splice if any(splice) else None,
                _BUILDERS.get(name),
            )
    return states, table.start_states["start"], table.end_states["start"]


_STATES, _START, _ = _compile_table(
    Lark(
        _grammar_path().read_text(encoding="utf-8"),
        parser="lalr",
        lexer=_NoLexer,
        keep_all_tokens=True,
        maybe_placeholders=False,
        strict=True,
        cache=True,  # Lark keys its cache file on the grammar and options: start-up is faster
    )
)
_END_OF_INPUT = Token("$END", "")

# How the automaton structures one top-level item, by the item's token types, compiled into
# a function that builds the item from its tokens. An item always ends with a line ending, so
# its reductions do not depend on what follows: each shape is worked out once.
_Build = Callable[[list[Token], str], Any]
_builders: dict[tuple[str, ...], _Build] = {}
_MAX_BUILDERS = 20_000


def parse(text: str) -> Dockerfile:
    """Parse a Dockerfile as BuildKit does; the tree's `.text` is exactly `text`.

    Raises `ParseError` (with a 1-based line and column) where BuildKit would fail.
    """
    lexer = Lexer(text)
    tokens = lexer.run()
    escape = lexer.escape
    items = []
    start = 0
    for end in lexer.item_ends:
        item = tokens[start:end]
        shape = tuple([token[0] for token in item])
        build = _builders.get(shape)
        if build is None:
            build = _compile(_plan(item))
            if len(_builders) < _MAX_BUILDERS:  # bounded, for long-running servers
                _builders[shape] = build
        items.append(build(item, escape))
        start = end
    tree = Dockerfile(tuple(items), 0, escape)
    vars(tree)["text"] = text  # the tokens cover the input exactly: no need to join them
    return tree


# A step of a plan: shift the next token (None), or reduce (rule name, size, which children
# are spliced-in `_rules` (or None), what it builds (or None for a spliced rule)).
_Plan = list[tuple[Any, ...] | None]


def _plan(item: list[Token]) -> _Plan:
    """Run the LALR automaton over one item as a whole file; record what builds the item."""
    table = _STATES
    stack = [_START]
    plan: _Plan = []
    for token in [*item, _END_OF_INPUT]:
        kind = token[0]
        try:
            action = table[stack[-1]][kind]
            while not action[0]:
                name, size = action[1], action[2]
                if name == "start" or name.startswith("__start"):
                    return plan  # the item is complete; what follows collects items
                plan.append(action)
                del stack[len(stack) - size :]
                stack.append(table[stack[-1]][name][1])
                action = table[stack[-1]][kind]
        except KeyError:
            raise AssertionError(f"grammar rejects lexer token {token}") from None
        stack.append(action[1])
        plan.append(None)
    return plan


# A value while compiling a plan: (expression, expression of its start offset), or a list of
# them for a spliced rule's children.
_Value = tuple[str, str] | list[tuple[str, str]]


def _compile(plan: _Plan) -> _Build:
    """A function that builds an item of the plan's shape from its tokens (`t`) and the file's
    escape character (`esc`): the plan's shifts and reductions turned into straight-line code,
    as `dataclasses` makes `__init__`."""
    lines = ["def build(t, esc):"]
    values: list[_Value] = []
    shifted = made = 0
    for step in plan:
        if step is None:
            values.append((f"t[{shifted}]", f"t[{shifted}][2]"))
            shifted += 1
            continue
        _, _, size, splice, build = step
        children = values[len(values) - size :] if size else []
        del values[len(values) - size :]
        flat: list[tuple[str, str]] = []
        for index, child in enumerate(children):
            if splice is not None and splice[index]:
                flat.extend(child)  # type: ignore[arg-type]
            else:
                flat.append(child)  # type: ignore[arg-type]
        if build is None:
            values.append(flat)
            continue
        kind, escaped = build
        made += 1
        arguments = "".join(f"{expression}, " for expression, _ in flat)
        escape = ", esc" if escaped else ""
        lines.append(f"    n{made} = {kind.__name__}(({arguments}), {flat[0][1]}{escape})")
        values.append((f"n{made}", flat[0][1]))
    ((result, _),) = values
    lines.append(f"    return {result}")
    namespace: dict[str, Any] = {kind.__name__: kind for kind, _ in _BUILDERS.values()}
    exec("\n".join(lines), namespace)  # the code is made here, from the grammar's table
    compiled: _Build = namespace["build"]
    return compiled


__all__ = ["ParseError", "parse"]
