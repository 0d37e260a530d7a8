"""`parse()`: the lexer's tokens, structured by the Lark grammar into the lossless tree.

This is the only module that imports lark.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

from lark import Lark
from lark.lexer import Lexer as LarkLexer
from lark.parsers.lalr_analysis import Shift

from dockerfix.syntax.errors import ParseError
from dockerfix.syntax.lexer import Lexer
from dockerfix.syntax.nodes import (
    Arguments,
    Child,
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


def parse(text: str, *, previous: Dockerfile | None = None) -> Dockerfile:
    """Parse a Dockerfile as BuildKit does; the tree's `.text` is exactly `text`.

    `previous`, the tree of an earlier version of the same document, lets an editor's parse
    redo only what the edit touched (see `_reparse`); the tree is the same either way.
    Raises `ParseError` (with a 1-based line and column) where BuildKit would fail.
    """
    if previous is not None and "_lexed" in vars(previous):
        tree = _reparse(previous, text)
        if tree is not None:
            return tree
    lexer = Lexer(text)
    tokens = lexer.run()
    if not lexer.has_instruction:
        raise ParseError("file with no instructions", 1, 1)
    return _tree(
        text,
        _build(tokens, 0, lexer.item_ends, lexer.escape),
        lexer.escape,
        _Lexed(tokens, lexer.item_ends),
    )


class _Lexed(NamedTuple):
    """A parsed tree's tokens, and where each top-level item's tokens end (kept on the tree
    for `_reparse`)."""

    tokens: list[Token]
    item_ends: list[int]


def _tree(text: str, items: list[Child], escape: str, lexed: _Lexed) -> Dockerfile:
    tree = Dockerfile(tuple(items), 0, escape)
    fields = vars(tree)
    fields["text"] = text  # the tokens cover the input exactly: no need to join them
    fields["_lexed"] = lexed
    return tree


def _build(tokens: list[Token], first: int, item_ends: list[int], escape: str) -> list[Child]:
    """The top-level items whose tokens are tokens[first:item_ends[0]], then up to each end."""
    items = []
    start = first
    for end in item_ends:
        item = tokens[start:end]
        shape = tuple([token[0] for token in item])
        build = _builders.get(shape)
        if build is None:
            build = _compile(_plan(item))
            if len(_builders) < _MAX_BUILDERS:  # bounded, for long-running servers
                _builders[shape] = build
        items.append(build(item, escape))
        start = end
    return items


def _reparse(previous: Dockerfile, text: str) -> Dockerfile | None:
    """`parse(text)` from the tree of an earlier version; None where it cannot resume.

    The items before the first changed character are taken from `previous` as they are (an
    item's extent never depends on the text after it, except at the end of the file). Lexing
    resumes at the start of the first changed item, with the escape character the unchanged
    parser directives set, and stops at the first item end from which the rest of the text is
    the old text's rest, at an old item boundary: the lexer is then in the same state (items
    hold their heredocs), so the old items' tokens, shifted, are the new ones.
    """
    old = previous.text
    if text == old:
        return previous
    lexed: _Lexed = vars(previous)["_lexed"]
    children = previous.children
    starts = [0, *[lexed.tokens[end][2] for end in lexed.item_ends[:-1]]]
    ends = [*starts[1:], len(old)]
    prefix = _common_prefix(old, text)
    kept = bisect_right(ends, min(prefix, len(old) - 1))
    if kept == 0 or type(children[kept - 1]) in (Token, Directive):
        return None  # the edit may change the parser directives (or the BOM)
    delta = len(text) - len(old)
    suffix = _common_suffix(old, text, min(len(old), len(text)) - prefix)
    same_from = bisect_left(starts, len(old) - suffix)
    rest = len(starts)  # the first old item taken again after the relexed ones

    def back_in_step(offset: int) -> bool:
        nonlocal rest
        index = bisect_left(starts, offset - delta, same_from)
        if index < len(starts) and starts[index] == offset - delta:
            rest = index
            return True
        return False

    escape = previous.escape
    # Lexing usually gets back in step at the first item that can: only its lines are split.
    window = ends[same_from] + delta if same_from < len(starts) else len(text)
    lexer = Lexer(text, ends[kept - 1], escape, window)
    try:
        relexed = lexer.run(back_in_step)
    except ParseError:
        relexed = None  # perhaps only in the window (a heredoc ending after it)
    if relexed is None or (window < len(text) and not lexer.stopped):
        lexer = Lexer(text, ends[kept - 1], escape)
        relexed = lexer.run(back_in_step)
    if not (
        lexer.has_instruction
        or any(type(item) is Instruction for item in children[:kept])
        or any(type(item) is Instruction for item in children[rest:])
    ):
        raise ParseError("file with no instructions", 1, 1)
    head = lexed.item_ends[kept - 1]
    items = [*children[:kept], *_build(relexed, 0, lexer.item_ends, escape)]
    tokens = [*lexed.tokens[:head], *relexed]
    item_ends = [*lexed.item_ends[:kept], *[head + end for end in lexer.item_ends]]
    if rest < len(starts):
        tail = lexed.item_ends[rest - 1]
        first = len(tokens)  # where the old tail's tokens go
        tail_ends = [end - tail + first for end in lexed.item_ends[rest:]]
        if delta:
            shift = tuple.__new__
            tokens.extend(
                [shift(Token, (t[0], t[1], t[2] + delta, t[3])) for t in lexed.tokens[tail:]]
            )
            items.extend(_build(tokens, first, tail_ends, escape))
        else:
            tokens.extend(lexed.tokens[tail:])
            items.extend(children[rest:])
        item_ends.extend(tail_ends)
    return _tree(text, items, escape, _Lexed(tokens, item_ends))


def _common_prefix(a: str, b: str) -> int:
    """The length of the longest common prefix (a binary search over C comparisons)."""
    low, high = 0, min(len(a), len(b))
    while low < high:
        middle = (low + high + 1) // 2
        if a[low:middle] == b[low:middle]:
            low = middle
        else:
            high = middle - 1
    return low


def _common_suffix(a: str, b: str, limit: int) -> int:
    """The length of the longest common suffix, at most `limit`."""
    low, high = 0, limit
    while low < high:
        middle = (low + high + 1) // 2
        if a[len(a) - middle : len(a) - low] == b[len(b) - middle : len(b) - low]:
            low = middle
        else:
            high = middle - 1
    return low


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


# A value while compiling a plan: (expression, expression of its start offset, the class of
# the node it makes or None for a token), or a list of them for a spliced rule's children.
_Made = tuple[str, str, type[Node] | None]
_Value = _Made | list[_Made]


def _compile(plan: _Plan) -> _Build:
    """A function that builds an item of the plan's shape from its tokens (`t`) and the file's
    escape character (`esc`): the plan's shifts and reductions turned into straight-line code,
    as `dataclasses` makes `__init__`. Nodes are made as `__init__` makes them, without the
    call: a parse makes thousands."""
    lines = ["def build(t, esc):"]
    values: list[_Value] = []
    shifted = made = 0
    for step in plan:
        if step is None:
            values.append((f"t[{shifted}]", f"t[{shifted}][2]", None))
            shifted += 1
            continue
        _, _, size, splice, build = step
        children = values[len(values) - size :] if size else []
        del values[len(values) - size :]
        flat: list[_Made] = []
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
        node, start = f"n{made}", flat[0][1]
        lines.append(f"    {node} = new({kind.__name__}); d = {node}.__dict__")
        lines.append(
            f"    d['children'] = ({''.join(f'{e}, ' for e, _, _ in flat)}); d['start'] = {start}"
        )
        if escaped:
            lines.append("    d['escape'] = esc")
        if kind is Instruction:
            lines.extend(_instruction_fields(flat))
        values.append((node, start, kind))
    ((result, _, _),) = values
    lines.append(f"    return {result}")
    namespace: dict[str, Any] = {kind.__name__: kind for kind, _ in _BUILDERS.values()}
    namespace["new"] = object.__new__
    exec("\n".join(lines), namespace)  # the code is made here, from the grammar's table
    compiled: _Build = namespace["build"]
    return compiled


def _instruction_fields(children: list[_Made]) -> list[str]:
    """The lines that set an instruction's fields (`Instruction.__init__` finds them among
    the children): which children are its keyword, flags, arguments, trigger and heredocs is
    known from the grammar."""

    def first(kind: type[Node]) -> str:
        return next((expression for expression, _, made in children if made is kind), "None")

    def every(kind: type[Node]) -> str:
        return "".join(f"{expression}, " for expression, _, made in children if made is kind)

    keyword = first(Keyword)
    return [
        f"    word = {keyword}.value" if keyword != "None" else "    word = ''",
        "    d['keyword'] = word; d['name'] = word.upper()",
        f"    d['flags'] = ({every(Flag)}); d['arguments'] = {first(Arguments)}",
        f"    d['trigger'] = {first(Instruction)}; d['heredocs'] = ({every(Heredoc)})",
    ]


__all__ = ["ParseError", "parse"]
