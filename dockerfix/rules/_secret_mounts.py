"""Shared by the secret-migration rules (BK016, DF004, DF005): finding what a RUN uses and
moving it to a `RUN --mount=type=secret|ssh`, with the smallest edits to the file.

Not a rule: the rules that use it are `secrets_used_in_arg_or_env`, `credential_file_copy`
and `ssh_key_copy`.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache

from dockerfix.conventions import Conventions, insert_flag
from dockerfix.semantics import Image, StageInfo, substitute
from dockerfix.shell import SimpleCommand, commands, effective_argv, removal_span
from dockerfix.syntax import Arguments, Comment, Instruction, Node, Token

# Instructions whose arguments BuildKit expands with ARG and ENV values (reference.md,
# "Environment replacement"); RUN's flags are expanded too. CMD, ENTRYPOINT, HEALTHCHECK and
# SHELL are not: their `$NAME` is read by a shell at run time, where no ARG exists.
EXPANDED = frozenset(
    {"ADD", "COPY", "ENV", "ARG", "EXPOSE", "LABEL", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR"}
)


@cache
def _reference(name: str) -> re.Pattern[str]:
    """`$NAME`, `${NAME}`, `${NAME:-x}`, `${#NAME}`... (not `$NAMEX`)."""
    return re.compile(r"\$(?:\{[#!]?)?" + re.escape(name) + r"(?![A-Za-z0-9_])")


@cache
def _word(name: str) -> re.Pattern[str]:
    return re.compile(r"(?<![A-Za-z0-9_])" + re.escape(name) + r"(?![A-Za-z0-9_])")


def references(text: str, name: str) -> bool:
    """Whether `text` expands variable `name`."""
    return "$" in text and _reference(name).search(text) is not None


def mentions(text: str, name: str) -> bool:
    """Whether `name` appears in `text` as a whole identifier (`$NAME`, `printenv NAME`...)."""
    return _word(name).search(text) is not None


def flags_text(instruction: Instruction) -> str:
    return " ".join(flag.word for flag in instruction.flags)


def shell_text(instruction: Instruction) -> str:
    """What the shell of a RUN reads: the arguments and the heredoc bodies."""
    arguments = instruction.arguments.text if instruction.arguments else ""
    return "\n".join([arguments, *(heredoc.body for heredoc in instruction.heredocs)])


@dataclass(frozen=True)
class Command:
    """A simple command of a RUN and the text its spans index.

    `editable` when that text is the RUN's arguments (not a heredoc body or exec-form JSON).
    """

    command: SimpleCommand
    argv: tuple[str, ...]
    source: str
    editable: bool

    @property
    def text(self) -> str:
        return self.source[self.command.start : self.command.end]

    def mentions(self, name: str) -> bool:
        return mentions(self.text, name)

    def in_words_only(self, name: str) -> bool:
        """Whether every mention of `name` is inside an argv word or assignment (not a redirection)."""
        words = (*self.command.assignments, *self.command.words)
        inside = sum(len(_word(name).findall(word.text)) for word in words)
        return inside == len(_word(name).findall(self.text))


def run_commands(instruction: Instruction) -> list[Command]:
    """The simple commands of a RUN (shell form, exec form, heredoc bodies)."""
    found: list[Command] = []
    exec_form = instruction.json
    if exec_form is not None:
        # One command; `sh -c SCRIPT` is read through the shell reader.
        quoted = " ".join(_sh_quote(word) for word in exec_form)
        found.extend(Command(c, effective_argv(c), quoted, False) for c in commands(quoted))
        return found
    if instruction.arguments is not None:
        text = instruction.arguments.text
        found.extend(
            Command(c, effective_argv(c), text, True) for c in commands(text, instruction.escape)
        )
    for heredoc in instruction.heredocs:
        body = heredoc.body
        found.extend(
            Command(c, effective_argv(c), body, False) for c in commands(body, continuations=False)
        )
    return found


def nested(command: SimpleCommand, others: Iterable[SimpleCommand]) -> bool:
    """Whether `command` runs inside another (`$(...)`, backticks, `sh -c`)."""
    return any(
        other is not command and other.start <= command.start and command.end <= other.end
        for other in others
    )


def strip_commands(
    arguments: Arguments,
    escape: str,
    removable: Callable[[SimpleCommand, tuple[str, ...]], bool],
) -> Arguments | None:
    """`arguments` of a RUN without the commands `removable` picks (each with one operator).

    None when one cannot go cleanly: it runs inside another command, in a pipeline or in the
    background, is alone in its list (`if ...; then rm x; fi`), or a comment is in the way.
    """
    current = arguments
    for _ in range(64):
        text = current.text
        cmds = commands(text, escape)
        target = next((c for c in cmds if removable(c, effective_argv(c))), None)
        if target is None:
            return current
        if nested(target, cmds) or _piped(target, cmds):
            return None
        span = removal_span(text, cmds, target, escape)
        updated = None if span is None else cut(current, [span])
        if updated is None:
            return None
        current = updated
    return None


def _piped(command: SimpleCommand, cmds: Iterable[SimpleCommand]) -> bool:
    joins = {"|", "|&", "&"}
    if command.separator is not None and command.separator.value in joins:
        return True
    following = next((c for c in cmds if c.start >= command.end), None)
    return following is not None and (
        following.separator is not None and following.separator.value in joins
    )


def _sh_quote(word: str) -> str:
    return "'" + word.replace("'", "'\\''") + "'"


def cut(arguments: Arguments, spans: Iterable[tuple[int, int]]) -> Arguments | None:
    """`arguments` without the text in `spans` (offsets into `arguments.text`).

    None when a span would take a comment line or part of a line continuation with it: the
    caller then offers no fix rather than lose a comment or join lines.
    """
    ordered = sorted(spans)
    children: list[Token | Node] = []
    at = 0
    for child in arguments.children:
        start, end = at, at + len(child.text)
        at = end
        overlapping = [(max(a, start), min(b, end)) for a, b in ordered if a < end and start < b]
        if not overlapping:
            children.append(child)
            continue
        if isinstance(child, Node) or child.type not in ("ARGS", "WS"):
            whole = any(a <= start and end <= b for a, b in overlapping)
            if isinstance(child, Comment) or not whole:
                return None
            continue  # a whole line continuation (or blank line) inside the removed text
        text = child.text
        for a, b in reversed(overlapping):
            text = text[: a - start] + text[b - start :]
        if text:
            children.append(Token(child.type, text))
    return arguments.with_changes(children=tuple(children))


def replace_arguments(instruction: Instruction, arguments: Arguments) -> Instruction:
    children = tuple(arguments if c is instruction.arguments else c for c in instruction.children)
    return instruction.with_changes(children=children)


def add_flag(instruction: Instruction, conventions: Conventions, flag: str) -> Instruction:
    return insert_flag(instruction, conventions.flag(flag))


# COPY flags a migration can drop: the file becomes a mount the RUN's user can read.
DROPPABLE_COPY_FLAGS = frozenset({"chown", "chmod", "link"})


def copy_blocker(
    copy: Instruction, stage: StageInfo, mount: str, reasons: Mapping[str, str] | None = None
) -> str | None:
    """Why the COPY cannot become a `--mount` (`mount` names it in the message), if it cannot.

    Its first flag outside DROPPABLE_COPY_FLAGS (`reasons` gives the rule's own words for
    some, such as `from`), or a Windows stage.
    """
    for flag in copy.flags:
        if flag.name not in DROPPABLE_COPY_FLAGS:
            return (reasons or {}).get(flag.name, f"the fix does not handle `--{flag.name}`")
    if is_windows(stage):
        return f"{mount} mounts are not supported on Windows stages"
    return None


def following(stage: StageInfo, instruction: Instruction) -> tuple[Instruction, ...]:
    """The instructions of the stage after `instruction` (one of them)."""
    body = stage.stage.instructions
    return body[next(i for i, ins in enumerate(body) if ins is instruction) + 1 :]


def has_mount(instruction: Instruction, **options: str) -> bool:
    """Whether the RUN has a `--mount` with all these option values."""
    return any(
        flag.name == "mount"
        and all((flag.option(key) or ("bind" if key == "type" else None)) == value
                for key, value in options.items())
        for flag in instruction.flags
    )  # fmt: skip


def owner_option(stage: StageInfo, run: Instruction) -> str | None:
    """Mount options that let the RUN's user read a root-only mount: '' for root, None if unknown."""
    user = stage.user_at(run)
    if user.is_root:
        return ""
    if user.uid is None:
        return None
    gid = f",gid={user.gid}" if user.gid is not None else ""
    return f",uid={user.uid}{gid}"


_VARIABLE = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)")


def resolve(path: str, stage: StageInfo, at: Instruction, *, shell: bool = False) -> str | None:
    """An absolute, normalized path for `path` as `at` sees it; None if a variable is unknown.

    BuildKit expands `$VAR` in COPY from ENV and ARG only; a RUN's shell (`shell`) also knows
    `$HOME` and `~`.
    """
    env = stage.env_at(at)
    if shell:
        home = env.get("HOME") or stage.user_at(at).home or "/root"
        env = {**env, "HOME": home}
        if path == "~" or path.startswith("~/"):
            path = home + path[1:]
    if any(not env.get(name) for name in _VARIABLE.findall(path)):
        return None
    value = substitute(path, env) if "$" in path else path
    if "$" in value or not value:
        return None
    if not value.startswith("/"):
        value = posixpath.join(stage.workdir_at(at), value)
    return "/" + posixpath.normpath(value).lstrip("/")


def later_stages(stage: StageInfo) -> Iterator[StageInfo]:
    """Stages that build on `stage` (`FROM stage`) or copy from it, transitively."""
    seen: set[int] = {stage.index}
    todo = list(stage.consumers)
    while todo:
        info = todo.pop()
        if info.index in seen:
            continue
        seen.add(info.index)
        yield info
        todo.extend(info.consumers)


def is_windows(stage: StageInfo) -> bool:
    try:
        return stage.is_windows
    except TypeError:  # `Image` has slots, so its cached `family` cannot be cached: compute it
        family = vars(Image)["family"].func(stage.image)
        return bool(family == "windows")


def makes(
    instruction: Instruction, stage: StageInfo, directory: str, at: Instruction | None = None
) -> bool:
    """Whether the instruction creates `directory` (mkdir, WORKDIR, COPY or ADD into it)."""
    at = at or instruction
    if instruction.name == "WORKDIR":
        return within(resolve(instruction.value, stage, at), directory)
    if instruction.name in ("COPY", "ADD"):
        words, _ = instruction.buildkit_arguments
        destination = resolve(words[-1], stage, at) if len(words) > 1 else None
        # the destination's parents always; the destination itself when it is a directory
        parent = posixpath.dirname(destination) if destination else None
        return within(parent, directory) or (
            words[-1].endswith("/") and within(destination, directory)
        )
    if instruction.name != "RUN":
        return False
    return any(
        not word.startswith("-") and within(resolve(word, stage, at, shell=True), directory)
        for command in run_commands(instruction)
        if command.argv[:1] == ("mkdir",)
        for word in command.argv[1:]
    )


def within(path: str | None, directory: str) -> bool:
    """Whether `path` is `directory` or below it."""
    if path is None:
        return False
    return path == directory or path.startswith(directory.rstrip("/") + "/")


_PLAIN_PATH = re.compile(r"[\w./@+-]+")


def mkdir_instead(copy: Instruction, directory: str, conventions: Conventions) -> Instruction | str:
    """`RUN mkdir -p DIRECTORY` to stand for a removed COPY that created it; or why not."""
    if copy.flag("chown") is not None:
        return "the COPY creates it for its --chown user"
    ending = next(
        (t.text for t in copy.children if isinstance(t, Token) and t.type == "NEWLINE"), ""
    )
    if not _PLAIN_PATH.fullmatch(directory) or copy.heredocs or ending not in ("\n", "\r\n", ""):
        return "the COPY creates it"
    indent = next(
        (t.text for t in copy.children[:1] if isinstance(t, Token) and t.type == "INDENT"), ""
    )
    return conventions.instruction(
        f"{indent}{conventions.keyword('RUN')} mkdir -p {directory}{ending}"
    )
