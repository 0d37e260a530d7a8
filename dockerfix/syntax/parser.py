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


_STATES, _START, _END = _compile_table(
    Lark(
        _grammar_path().read_text(encoding="utf-8"),
        parser="lalr",
        lexer=_NoLexer,
        keep_all_tokens=True,
        maybe_placeholders=False,
        strict=True,
    )
)
_END_OF_INPUT = Token("$END", "")


def parse(text: str) -> Dockerfile:
    """Parse a Dockerfile as BuildKit does; the tree's `.text` is exactly `text`.

    Raises `ParseError` (with a 1-based line and column) where BuildKit would fail.
    """
    lexer = Lexer(text)
    tokens = lexer.run()
    tokens.append(_END_OF_INPUT)
    reset = _escape.set(lexer.escape)
    try:
        return _structure(tokens)
    finally:
        _escape.reset(reset)


def _structure(tokens: list[Token]) -> Dockerfile:
    """Run the LALR automaton over the tokens, building nodes as rules are reduced."""
    table = _STATES
    stack = [_START]
    values: list[Any] = []
    for token in tokens:
        kind = token[0]
        try:
            action = table[stack[-1]][kind]
            while not action[0]:
                _, name, size, splice, build = action
                if size == 1:
                    children = [values.pop()]
                    stack.pop()
                else:
                    children = values[-size:] if size else []
                    del values[len(values) - size :]
                    del stack[len(stack) - size :]
                if splice is not None:
                    # A spliced first child is a list this loop made: extend it in place,
                    # which keeps left-recursive repetitions (`x*`) linear.
                    flat: list[Any] = children[0] if splice[0] else [children[0]]
                    for index in range(1, size):
                        if splice[index]:
                            flat.extend(children[index])
                        else:
                            flat.append(children[index])
                    children = flat
                values.append(children if build is None else build(children))
                state = table[stack[-1]][name][1]
                if state == _END:
                    tree = values[-1]
                    assert isinstance(tree, Dockerfile)
                    return tree
                stack.append(state)
                action = table[state][kind]
        except KeyError:
            raise AssertionError(f"grammar rejects lexer token {token}") from None
        stack.append(action[1])
        values.append(token)
    raise AssertionError("the token stream ended before the grammar did")


__all__ = ["ParseError", "parse"]
