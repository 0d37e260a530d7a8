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


class _Inline(list[Any]):
    """The children of a rule whose name starts with `_`, spliced into the parent node."""


def _flatten(children: list[Any]) -> list[Any]:
    flat: list[Any] = []
    for child in children:
        if type(child) is _Inline:
            flat.extend(child)
        else:
            flat.append(child)
    return flat


def _node_builders(escape: str) -> dict[str, Callable[[list[Any]], Any]]:
    def simple(kind: type[Node]) -> Callable[[list[Any]], Node]:
        return lambda children: kind(tuple(children), children[0].start)

    def escaped(kind: type[Instruction] | type[Flag]) -> Callable[[list[Any]], Node]:
        return lambda children: kind(tuple(children), children[0].start, escape)

    return {
        "start": lambda children: Dockerfile(tuple(children), 0, escape),
        "directive": simple(Directive),
        "comment": simple(Comment),
        "instruction": escaped(Instruction),
        "trigger": escaped(Instruction),
        "keyword": simple(Keyword),
        "flag": escaped(Flag),
        "arguments": simple(Arguments),
        "heredoc": simple(Heredoc),
    }


def _compile_table(grammar: Lark) -> tuple[dict[int, dict[str, tuple[Any, ...]]], int, int]:
    """Lark's LALR table, with each reduction as (rule name, length, inlined?)."""
    table = grammar.parser.parser.parser.parse_table
    states: dict[int, dict[str, tuple[Any, ...]]] = {}
    for state, actions in table.states.items():
        states[state] = {
            str(symbol): (True, target)
            if action is Shift
            else (
                False,
                str(target.origin.name),
                len(target.expansion),
                target.origin.name[0] == "_",
            )
            for symbol, (action, target) in actions.items()
        }
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
    return _structure(tokens, _node_builders(lexer.escape))


def _structure(tokens: list[Token], builders: dict[str, Callable[[list[Any]], Any]]) -> Dockerfile:
    """Run the LALR automaton over the tokens, building nodes as rules are reduced."""
    states = [_START]
    values: list[Any] = []
    for token in tokens:
        kind = token.type
        while True:
            try:
                action = _STATES[states[-1]][kind]
            except KeyError:
                raise AssertionError(f"grammar rejects lexer token {token}") from None
            if action[0]:
                states.append(action[1])
                values.append(token)
                break
            _, name, size, inline = action
            children = _flatten(values[-size:]) if size else []
            if size:
                del values[-size:]
                del states[-size:]
            values.append(_Inline(children) if inline else builders[name](children))
            states.append(_STATES[states[-1]][name][1])
            if kind == "$END" and states[-1] == _END:
                tree = values[-1]
                assert isinstance(tree, Dockerfile)
                return tree
    raise AssertionError("the token stream ended before the grammar did")


__all__ = ["ParseError", "parse"]
