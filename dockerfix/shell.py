"""Read the text of a shell-form ``RUN`` the way ``/bin/sh`` sees it.

`commands` lists every simple command with exact ``str`` spans into the text as
written, so rules can find package-manager calls and edit the Dockerfile with
minimal changes (see `removal_span`).

Hand-written rather than tree-sitter-bash: tree-sitter needs 35-60 µs just to parse
a 300-char RUN (before any Python walk over its tree), gives byte offsets, and
misreads the comment lines BuildKit drops inside continuations and the backtick
escape, so wrapping it would take about as much code as this reader.

Commands inside ``$(...)``, backticks, ``<(...)`` and the script of
``sh -c``/``bash -c`` are returned too, in source order among the others;
``${...}`` and ``$((...))`` are kept opaque. ``[[ ... ]]``, ``for``/``case``
headers and heredoc bodies are not commands.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache
from typing import NamedTuple


@dataclass(frozen=True, slots=True)
class Word:
    """A word or operator; ``text`` is ``source[start:end]`` of the text given to `commands`."""

    text: str
    value: str  # quotes removed, escapes resolved, continuations dropped; nothing expanded
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class SimpleCommand:
    """One simple command: ``NAME=value ... argv ...`` plus its redirections."""

    assignments: tuple[Word, ...]
    words: tuple[Word, ...]  # argv words; redirections excluded
    start: int
    end: int  # through the last word or redirection
    # The operator ('&&', '||', ';', '|', '&', '|&', '\n') linking it to the previous
    # command of the same list; None first in a list or after a keyword like 'then'.
    separator: Word | None

    @property
    def argv(self) -> tuple[str, ...]:
        return tuple(w.value for w in self.words)

    @property
    def name(self) -> str | None:
        return _basename(self.words[0].value) if self.words else None


def commands(
    text: str, escape: str = "\\", *, continuations: bool = True
) -> tuple[SimpleCommand, ...]:
    """Simple commands of `text`, sorted by start; never raises.

    With `continuations`, Dockerfile line continuations (`escape`, blanks, newline,
    then any comment or blank lines) are dropped as BuildKit does; turn it off for
    heredoc bodies, which are plain shell.
    """
    return _commands(text, escape, continuations)


@lru_cache(maxsize=4096)
def _commands(text: str, escape: str, continuations: bool) -> tuple[SimpleCommand, ...]:
    """`commands`, memoised: several rules read the same RUN (the result is immutable)."""
    s, pos = _shell_view(text, escape) if continuations else (text, range(len(text)))
    out: list[SimpleCommand] = []
    _Parser(text, s, pos, out, 0).run()
    out.sort(key=lambda c: c.start)
    return tuple(out)


# effective_argv results by id of the command; the command is kept with its result, so an id
# is never reused while its entry lives (rules ask several times for the same command).
_ARGV: dict[int, tuple[SimpleCommand, tuple[str, ...]]] = {}


def effective_argv(cmd: SimpleCommand) -> tuple[str, ...]:
    """argv with wrappers (sudo, env, nice, ...) skipped and ``python -m MOD`` read as ``MOD``.

    The first element is a basename: ``sudo -E /usr/bin/apt-get install x`` gives
    ``('apt-get', 'install', 'x')``; ``python3 -m pip install x`` gives
    ``('pip', 'install', 'x')``.
    """
    hit = _ARGV.get(id(cmd))
    if hit is not None and hit[0] is cmd:
        return hit[1]
    argv = _effective_argv(cmd)
    if len(_ARGV) >= 16384:
        _ARGV.clear()
    _ARGV[id(cmd)] = (cmd, argv)
    return argv


def _effective_argv(cmd: SimpleCommand) -> tuple[str, ...]:
    argv = cmd.argv
    argv = argv[_skip_wrappers(argv) :]
    if argv and _PYTHON.fullmatch(_basename(argv[0])):
        argv = _python_module(argv)
    return (_basename(argv[0]), *argv[1:]) if argv else ()


def removal_span(
    text: str,
    cmds: Sequence[SimpleCommand],
    cmd: SimpleCommand,
    escape: str = "\\",
    *,
    continuations: bool = True,
) -> tuple[int, int] | None:
    """Span of `text` to delete so `cmd` leaves its list together with one operator.

    ``a && cmd`` loses `` && cmd`` (with the blanks and continuations before
    ``&&``, so no dangling escape is left); ``cmd && b`` loses ``cmd && `` up to
    ``b``. None when `cmd` has no operator-linked neighbour, e.g. it stands alone
    or is the first command inside ``( )``. `cmds` is what `commands` returned
    for `text` with the same `escape` and `continuations`. Whether dropping a
    pipeline stage is wise is the caller's call.
    """
    if cmd.separator is not None:
        return _gap_start(text, cmd.separator.start, escape, continuations), cmd.end
    for nxt in cmds:
        sep = nxt.separator
        if sep is not None and _gap_start(text, sep.start, escape, continuations) == cmd.end:
            return cmd.start, nxt.start
    return None


# --- Dockerfile layer ---------------------------------------------------------------

_LINE = re.compile(r"[^\n]*\n|[^\n]+")
_INERT_LINE = re.compile(r"[ \t]*(?:#.*|\r)?\n?")  # blank or comment line


@cache
def _continuation_at_end(escape: str) -> re.Pattern[str]:
    return re.compile(re.escape(escape) + r"[ \t]*\r?\n?\Z")


def _shell_view(text: str, escape: str) -> tuple[str, Sequence[int]]:
    """What the shell reads, and for each of its chars the index in `text` it came from."""
    if escape not in text:
        return text, range(len(text))
    cont = _continuation_at_end(escape)
    parts: list[str] = []
    pos: list[int] = []
    continued = False
    for m in _LINE.finditer(text):
        line = m.group()
        if continued and _INERT_LINE.fullmatch(line):
            continue  # BuildKit drops comment and blank lines inside a continuation
        c = cont.search(line)
        end = m.start() + c.start() if c else m.end()
        parts.append(text[m.start() : end])
        pos.extend(range(m.start(), end))
        continued = c is not None
    return "".join(parts), pos


def _gap_start(text: str, i: int, escape: str, continuations: bool) -> int:
    """Walk back from `i` over blanks and line continuations to the end of the previous token."""
    cont = _continuation_at_end(escape if continuations else "\\")
    while True:
        while i > 0 and text[i - 1] in " \t":
            i -= 1
        if i == 0 or text[i - 1] != "\n":
            return i
        line_start = text.rfind("\n", 0, i - 1) + 1
        line = text[line_start:i]
        if continuations and _INERT_LINE.fullmatch(line):
            i = line_start
        elif c := cont.search(line):
            i = line_start + c.start()
        else:
            return i


# --- shell layer ---------------------------------------------------------------------

_BLANKS = " \t\r"  # '\r' too, so CRLF text does not glue a '\r' to words
_META = frozenset(" \t\r\n;&|()<>")
_PLAIN = re.compile(r"""[^ \t\r\n;&|()<>\\'"`$]+""")
_DQ_PLAIN = re.compile(r'[^"\\`$]+')
_OP_RE = r"&&|\|\||;;&|;;|;&|\|&|&>>|&>|[0-9]*(?:<<<|<<-|<<|<>|<&|>&|>>|>\||<|>)|[;&|()\n]"
_OP = re.compile(_OP_RE)
# Fast path for most tokens: blanks, then a word that is its own value (group 1: no
# quotes, escapes or substitutions; not a comment or a redirection's fd) or an operator.
_PLAIN_CHAR = r"""[^ \t\r\n;&|()<>\\'"`$]"""
_LONE_DOLLAR = r"""\$(?![({'"])"""
_SIMPLE_WORD = (
    rf"(?!#|[0-9]*[<>])(?:{_LONE_DOLLAR}|{_PLAIN_CHAR}){_PLAIN_CHAR}*"
    rf"(?:{_LONE_DOLLAR}{_PLAIN_CHAR}*)*(?=[ \t\r\n;&|()<>]|\Z)"
)
_SIMPLE = re.compile(rf"[ \t\r]*(?:({_SIMPLE_WORD})|(?![<>]\()({_OP_RE}))")
_ASSIGN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\[[^]]*\])?\+?=")
_FUNC_PARENS = re.compile(r"[ \t]*\)")
_OPENERS = frozenset({"if", "then", "else", "elif", "do", "while", "until", "{", "!"})
_CLOSERS = frozenset({"fi", "done", "}"})
_CASE_ENDS = frozenset({";;", ";&", ";;&"})
_MAX_DEPTH = 32  # nesting of $( ), backticks and sh -c; deeper text is skipped, not parsed


class _Tok(NamedTuple):
    op: bool
    ls: int  # span in the shell's view
    le: int
    value: str
    vpos: Sequence[int] | None  # source index of each char of `value`; None: value is s[ls:le]


class _Mode:
    CMD, FOR, CASE_HEAD, PATTERN, FUNC_NAME, TEST = range(6)


# keywords whose following words are not a command, and the mode that skips them
_HEADERS = {
    "for": _Mode.FOR,
    "select": _Mode.FOR,
    "case": _Mode.CASE_HEAD,
    "function": _Mode.FUNC_NAME,
    "[[": _Mode.TEST,
}


@dataclass(slots=True)
class _Frame:
    """One command list being read: the simple command in progress and the grammar state."""

    assignments: list[_Tok] = field(default_factory=list)
    words: list[_Tok] = field(default_factory=list)
    start: int | None = None
    end: int = 0
    sep: Word | None = None
    at_start: bool = True  # only keywords or nothing since the list or a block began
    opens: int = 0  # '(' subshells open in this list
    cases: int = 0  # 'case' blocks open in this list
    mode: int = _Mode.CMD
    after_sep: bool = False  # for-header: a 'do' here ends the header

    def reset(self, at_start: bool, sep: Word | None = None) -> None:
        self.assignments, self.words, self.start = [], [], None
        self.at_start, self.sep = at_start, sep


def _on_keyword(f: _Frame, word: str) -> bool:
    """Apply `word` if it is a reserved word (it is in command position); True if it was."""
    if word in _OPENERS:
        f.reset(at_start=True)
    elif word in _CLOSERS:
        f.reset(at_start=False)
    elif word == "esac":
        f.cases = max(f.cases - 1, 0)
        f.reset(at_start=False)
    elif word in _HEADERS:
        f.mode = _HEADERS[word]
        f.cases += word == "case"
        f.after_sep = False
    else:
        return False
    return True


class _Parser:
    def __init__(
        self, source: str, s: str, pos: Sequence[int], out: list[SimpleCommand], depth: int
    ) -> None:
        self.source = source  # spans index into this
        self.s = s  # what the shell reads
        self.pos = pos  # pos[k] is the index in source of s[k]
        self.out = out
        self.depth = depth
        self.i = 0
        self.back: _Tok | None = None  # a token read ahead and pushed back
        self.heredocs: list[tuple[str, bool]] = []  # (delimiter, strip tabs) awaiting a newline

    def run(self) -> None:
        self._list(nested=False)

    # - grammar -

    def _list(self, nested: bool) -> None:
        """Read commands up to the end, or when `nested` through the ')' that closes ``$(``."""
        f = _Frame()
        while (tok := self._token()) is not None:
            if tok.op:
                if self._on_op(f, tok, nested):
                    return
            elif f.mode == _Mode.CMD:
                self._on_word(f, tok)
            else:
                self._on_header_word(f, tok)
        self._flush(f)

    def _on_op(self, f: _Frame, tok: _Tok, nested: bool) -> bool:
        """Handle an operator; True when it closes the nested list."""
        op = tok.value
        if f.mode != _Mode.CMD:
            f.after_sep = op in (";", "\n")
            if f.mode == _Mode.PATTERN and op == ")":
                f.mode = _Mode.CMD
                f.reset(at_start=True)
            return False
        if "<" in op or ">" in op:
            self._redirect(f, tok)
            return False
        is_function = op == "(" and len(f.words) == 1 and not f.assignments
        if is_function and (m := _FUNC_PARENS.match(self.s, self.i)):  # 'name()' defines
            self.i = m.end()
            f.reset(at_start=True)
            return False
        emitted = self._flush(f)
        if op == "(":
            f.opens += 1
            f.reset(at_start=True)
        elif op == ")":
            if not f.opens and nested:
                return True
            f.opens = max(f.opens - 1, 0)
            f.reset(at_start=False)
        elif op in _CASE_ENDS and f.cases:
            f.mode = _Mode.PATTERN
        elif op != "\n" or emitted or not (f.at_start or f.sep):
            # a newline right after 'then' or after '&&' is layout, not a separator
            f.reset(at_start=False, sep=self._word(tok))
        return False

    def _on_word(self, f: _Frame, tok: _Tok) -> None:
        if f.start is None and _on_keyword(f, self.s[tok.ls : tok.le]):
            return
        is_assignment = not f.words and _ASSIGN.match(self.s, tok.ls, tok.le)
        (f.assignments if is_assignment else f.words).append(tok)
        self._extend(f, tok, tok)

    def _on_header_word(self, f: _Frame, tok: _Tok) -> None:
        """Skip the words of a for/case header, a case pattern, a function name or ``[[ ]]``."""
        word = self.s[tok.ls : tok.le]
        if f.mode == _Mode.FOR and word == "do" and f.after_sep:
            f.mode = _Mode.CMD
            f.reset(at_start=True)
        elif f.mode == _Mode.CASE_HEAD and word == "in":
            f.mode = _Mode.PATTERN
        elif f.mode == _Mode.PATTERN and word == "esac":
            f.cases = max(f.cases - 1, 0)
            f.mode = _Mode.CMD
            f.reset(at_start=False)
        elif f.mode == _Mode.FUNC_NAME:
            f.mode = _Mode.CMD
            f.reset(at_start=True)
        elif f.mode == _Mode.TEST and word == "]]":
            f.mode = _Mode.CMD
            f.reset(at_start=False)
        f.after_sep = False

    def _redirect(self, f: _Frame, tok: _Tok) -> None:
        target = self._token()
        if target is not None and target.op:
            self.back, target = target, None  # '> &&' is garbage: leave '&&' to the list
        if target is not None and tok.value.lstrip("0123456789") in ("<<", "<<-"):
            self.heredocs.append((target.value, tok.value.endswith("-")))
        self._extend(f, tok, target or tok)

    def _extend(self, f: _Frame, first: _Tok, last: _Tok) -> None:
        if f.start is None:
            f.start = self.pos[first.ls]
        f.end = self.pos[last.le - 1] + 1

    def _flush(self, f: _Frame) -> bool:
        """Emit the command in progress, if any, and read the script of ``sh -c``."""
        if f.start is None:
            return False
        assignments = tuple(map(self._word, f.assignments))
        words = tuple(map(self._word, f.words))
        self.out.append(SimpleCommand(assignments, words, f.start, f.end, f.sep))
        k = _script_index(tuple(t.value for t in f.words))
        if k is not None and self.depth < _MAX_DEPTH:
            script = f.words[k]
            vpos = self.pos[script.ls : script.le] if script.vpos is None else script.vpos
            _Parser(self.source, script.value, vpos, self.out, self.depth + 1).run()
        f.reset(at_start=False)
        return True

    def _word(self, tok: _Tok) -> Word:
        start, end = self.pos[tok.ls], self.pos[tok.le - 1] + 1
        return Word(self.source[start:end], tok.value, start, end)

    # - tokens -

    def _token(self) -> _Tok | None:
        if (tok := self.back) is not None:
            self.back = None
            return tok
        if m := _SIMPLE.match(self.s, self.i):
            return self._plain_token(m, m.lastindex or 0, op=m.lastindex == 2)
        s, i = self.s, self._skip_blanks(self.i)
        self.i = i
        if i >= len(s):
            return None
        m = None if s.startswith(("<(", ">("), i) else _OP.match(s, i)
        return self._read_word() if m is None else self._plain_token(m, 0, op=True)

    def _plain_token(self, m: re.Match[str], group: int, op: bool) -> _Tok:
        """The operator or the word that is its own value matched by `group` of `m`."""
        self.i = m.end()
        value = m.group(group)
        if value == "\n":
            self._skip_heredoc_bodies()
        return _Tok(op, m.start(group), self.i, value, None)

    def _skip_blanks(self, i: int) -> int:
        s = self.s
        while i < len(s):
            if s[i] in _BLANKS:
                i += 1
            elif k := _line_continuation(s, i):
                i += k
            elif s[i] == "#":
                i = _find(s, "\n", i)
            else:
                break
        return i

    def _skip_heredoc_bodies(self) -> None:
        s, i = self.s, self.i
        for delimiter, strip_tabs in self.heredocs:
            while i < len(s):
                j = _find(s, "\n", i)
                line = s[i:j].rstrip("\r")
                i = j + 1
                if (line.lstrip("\t") if strip_tabs else line) == delimiter:
                    break
        self.heredocs.clear()
        self.i = min(i, len(s))

    def _read_word(self) -> _Tok:
        s, start = self.s, self.i
        val: list[str] = []
        vpos: list[int] = []
        i = end = start
        if s.startswith(("<(", ">("), i):
            i = end = self._take(i, self._command_substitution(i + 2), val, vpos)
        while i < len(s) and s[i] not in _META:
            if k := _line_continuation(s, i):
                i += k  # not `end`: a trailing continuation is not part of the word
                continue
            c = s[i]
            if c == "'":
                j = _find(s, "'", i + 1)
                self._take(i + 1, j, val, vpos)
                i = min(j + 1, len(s))
            elif c == '"':
                i = self._double_quoted(i + 1, val, vpos)
            elif c == "\\":
                escaped = i + 1 < len(s)  # a trailing backslash stays literal
                i = self._take(i + escaped, i + 1 + escaped, val, vpos)
            elif c == "`":
                i = self._backquoted(i, val, vpos, "$`\\")
            elif c == "$":
                i = self._dollar(i, val, vpos, quoted=False)
            else:
                i = self._take(i, _match_end(_PLAIN, s, i), val, vpos)
            end = i
        self.i = i
        return _Tok(False, start, end, "".join(val), vpos)

    def _double_quoted(self, i: int, val: list[str], vpos: list[int]) -> int:
        """Read after an opening '"'; return the index after the closing one."""
        s = self.s
        while i < len(s) and s[i] != '"':
            c = s[i]
            if k := _line_continuation(s, i):
                i += k
            elif c == "\\":
                escaped = i + 1 < len(s) and s[i + 1] in '$`"\\'
                i = self._take(i + escaped, i + 1 + escaped, val, vpos)
            elif c == "`":
                i = self._backquoted(i, val, vpos, '$`\\"')
            elif c == "$":
                i = self._dollar(i, val, vpos, quoted=True)
            else:
                i = self._take(i, _match_end(_DQ_PLAIN, s, i), val, vpos)
        return min(i + 1, len(s))

    def _dollar(self, i: int, val: list[str], vpos: list[int], quoted: bool) -> int:
        s = self.s
        if s.startswith("$((", i):
            end = _balanced(s, i + 1, "(", ")")
        elif s.startswith("$(", i):
            end = self._command_substitution(i + 2)
        elif s.startswith("${", i):
            end = _balanced(s, i + 1, "{", "}")
        elif s.startswith("$'", i) and not quoted:
            end = _ansi_c_end(s, i + 2)
        else:
            end = i + 1
        return self._take(i, end, val, vpos)

    def _command_substitution(self, i: int) -> int:
        """Read the commands after ``$(`` or ``<(``; return the index after the closing ')'."""
        if self.depth >= _MAX_DEPTH:
            return _balanced(self.s, i - 1, "(", ")")
        self.i = i
        self.depth += 1
        self._list(nested=True)
        self.depth -= 1
        return self.i

    def _backquoted(self, i: int, val: list[str], vpos: list[int], escapable: str) -> int:
        """Read a `...` substitution at `i`; its commands are parsed from the unescaped body."""
        s = self.s
        body: list[str] = []
        body_pos: list[int] = []
        j = i + 1
        while j < len(s) and s[j] != "`":
            j += s[j] == "\\" and j + 1 < len(s) and s[j + 1] in escapable
            body.append(s[j])
            body_pos.append(self.pos[j])
            j += 1
        end = self._take(i, min(j + 1, len(s)), val, vpos)
        if self.depth < _MAX_DEPTH:
            _Parser(self.source, "".join(body), body_pos, self.out, self.depth + 1).run()
        return end

    def _take(self, a: int, b: int, val: list[str], vpos: list[int]) -> int:
        """Append s[a:b] to a word's value; return b."""
        val.append(self.s[a:b])
        vpos.extend(self.pos[a:b])
        return b


def _line_continuation(s: str, i: int) -> int:
    """Length of a shell backslash-newline at `i`, else 0."""
    if s.startswith("\\\n", i):
        return 2
    return 3 if s.startswith("\\\r\n", i) else 0


def _find(s: str, sub: str, i: int) -> int:
    j = s.find(sub, i)
    return len(s) if j < 0 else j


def _match_end(pattern: re.Pattern[str], s: str, i: int) -> int:
    m = pattern.match(s, i)
    return m.end() if m else i + 1


def _balanced(s: str, i: int, open_: str, close: str) -> int:
    """Index after the `close` matching the `open_` at `i` (quotes ignored: best effort)."""
    depth = 0
    while i < len(s):
        if s[i] == "\\":
            i += 1
        elif s[i] == open_:
            depth += 1
        elif s[i] == close:
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return len(s)


def _ansi_c_end(s: str, i: int) -> int:
    """Index after the quote closing a ``$'...'`` whose body starts at `i`."""
    while i < len(s) and s[i] != "'":
        i += 2 if s[i] == "\\" else 1
    return min(i + 1, len(s))


# --- argv helpers ------------------------------------------------------------------

# wrapper -> its options that take a separate value
_WRAPPERS: dict[str, frozenset[str]] = {
    "sudo": frozenset(
        {"-u", "-g", "-C", "-D", "-h", "-p", "-r", "-t", "-T", "-U", "--user", "--group", "--chdir"}
    ),
    "env": frozenset({"-u", "-C", "-S", "--unset", "--chdir", "--split-string"}),
    "time": frozenset({"-f", "-o", "--format", "--output"}),
    "nice": frozenset({"-n", "--adjustment"}),
    "nohup": frozenset(),
    "exec": frozenset({"-a"}),
    "stdbuf": frozenset({"-i", "-o", "-e", "--input", "--output", "--error"}),
    "eatmydata": frozenset(),
}
_SHELLS = frozenset({"sh", "bash", "dash", "ash", "zsh", "ksh", "mksh"})
_PYTHON = re.compile(r"python[0-9.]*")


def _basename(path: str) -> str:
    return path.rsplit("/", 1)[-1]


def _skip_wrappers(argv: Sequence[str]) -> int:
    """Index of the program that wrappers like ``sudo -E env X=1`` run."""
    i = 0
    while i < len(argv) and (takes_value := _WRAPPERS.get(_basename(argv[i]))) is not None:
        i += 1
        while i < len(argv) and (argv[i].startswith("-") or _ASSIGN.match(argv[i])):
            i += 2 if argv[i] in takes_value else 1
            if argv[i - 1] == "--":
                break
    return i


def _python_module(argv: tuple[str, ...]) -> tuple[str, ...]:
    """``python [opts] -m MOD args`` -> ``MOD args``; anything else unchanged."""
    i = 1
    while i < len(argv) and argv[i].startswith("-") and argv[i] != "-m":
        i += 2 if argv[i] in ("-W", "-X") else 1
    return argv[i + 1 :] if i + 1 < len(argv) and argv[i] == "-m" else argv


def _script_index(argv: Sequence[str]) -> int | None:
    """Index of the script word in ``[wrappers] sh [opts] -c SCRIPT ...``, if that is the form."""
    i = _skip_wrappers(argv)
    if i >= len(argv) or _basename(argv[i]) not in _SHELLS:
        return None
    i += 1
    has_c = False
    while i < len(argv) and argv[i][:1] in ("-", "+") and argv[i] not in ("-", "--"):
        flags = "" if argv[i].startswith("--") else argv[i][1:]
        has_c = has_c or "c" in flags
        i += 2 if "o" in flags or "O" in flags else 1  # '-o pipefail' takes a value
    i += i < len(argv) and argv[i] == "--"
    return i if has_c and i < len(argv) else None
