"""`parse()`: the lexer's tokens, structured by the Lark grammar into the lossless tree.

This is the only module that imports lark.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextvars import ContextVar
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


# The escape character of the file being parsed, for the nodes whose views need it.
_escape: ContextVar[str] = ContextVar("escape", default="\\")


def _node(kind: type[Node]) -> Callable[[list[Any]], Node]:
    return lambda children: kind(tuple(children), children[0].start)


def _escaped(kind: type[Instruction] | type[Flag]) -> Callable[[list[Any]], Node]:
    return lambda children: kind(tuple(children), children[0].start, _escape.get())


# What each named rule builds; rules starting with `_` are spliced into their parent.
_BUILDERS: dict[str, Callable[[list[Any]], Node]] = {
    "start": lambda children: Dockerfile(tuple(children), 0, _escape.get()),
    "directive": _node(Directive),
    "comment": _node(Comment),
    "instruction": _escaped(Instruction),
    "trigger": _escaped(Instruction),
    "keyword": _node(Keyword),
    "flag": _escaped(Flag),
    "arguments": _node(Arguments),
    "heredoc": _node(Heredoc),
}


def _compile_table(grammar: Lark) -> tuple[list[dict[str, Any]], int, int]:
    """Lark's LALR table as a list, per state, of {symbol: action}.

    A shift is (True, next state); a reduction is (False, rule name, length, which children
    are spliced-in `_rules` (or None), the node builder (or None for a spliced rule)).
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

# How the automaton structures one top-level item, by the item's token types: the shifts
# (None) and reductions it performs. An item always ends with a line ending, so its
# reductions do not depend on what follows; computing them once per shape saves the table
# walk for every other item of that shape.
_Plan = list[tuple[Any, ...] | None]
_plans: dict[tuple[str, ...], _Plan] = {}
_MAX_PLANS = 20_000


def parse(text: str) -> Dockerfile:
    """Parse a Dockerfile as BuildKit does; the tree's `.text` is exactly `text`.

    Raises `ParseError` (with a 1-based line and column) where BuildKit would fail.
    """
    lexer = Lexer(text)
    tokens = lexer.run()
    reset = _escape.set(lexer.escape)
    try:
        items = []
        start = 0
        for end in lexer.item_ends:
            item = tokens[start:end]
            shape = tuple([token[0] for token in item])
            plan = _plans.get(shape)
            if plan is None:
                plan = _plan(item)
                if len(_plans) < _MAX_PLANS:  # bounded, for long-running servers
                    _plans[shape] = plan
            items.append(_replay(plan, item))
            start = end
        tree = Dockerfile(tuple(items), 0, lexer.escape)
        vars(tree)["text"] = text  # the tokens cover the input exactly: no need to join them
        return tree
    finally:
        _escape.reset(reset)


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


def _replay(plan: _Plan, item: list[Token]) -> Any:
    """Build an item's node by replaying its plan over its tokens."""
    values: list[Any] = []
    tokens = iter(item)
    for step in plan:
        if step is None:
            values.append(next(tokens))
            continue
        _, _, size, splice, build = step
        if size == 1:
            children = [values.pop()]
        else:
            children = values[-size:] if size else []
            del values[len(values) - size :]
        if splice is not None:
            # A spliced first child is a list made here: extend it in place, which keeps
            # left-recursive repetitions (`x*`) linear.
            flat: list[Any] = children[0] if splice[0] else [children[0]]
            for index in range(1, size):
                if splice[index]:
                    flat.extend(children[index])
                else:
                    flat.append(children[index])
            children = flat
        values.append(children if build is None else build(children))
    (node,) = values
    return node


__all__ = ["ParseError", "parse"]
