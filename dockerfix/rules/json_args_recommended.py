from __future__ import annotations

import json
import re

from dockerfix.conventions import Conventions
from dockerfix.diagnostics import Safety
from dockerfix.rules._buildkit import StageState, dispatch, is_windows
from dockerfix.rules.base import Invalid, Rule
from dockerfix.semantics import StageInfo
from dockerfix.syntax import Comment, Instruction

# Characters that mean nothing to /bin/sh outside quotes: a command made only of these,
# blanks between words, is split by the shell exactly as the JSON array we write.
_PLAIN_WORD = re.compile(r"[A-Za-z0-9_@%+=:,./^-]+")
_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=")
# Words the shell runs itself (POSIX special/regular built-ins without an executable, and
# reserved words): as the first JSON element they would not be found or would mean else.
_SHELL_ONLY = frozenset(
    {
        ".", ":", "alias", "bg", "break", "case", "cd", "command", "continue", "do", "done",
        "elif", "else", "esac", "eval", "exit", "export", "fc", "fg", "fi", "for", "function",
        "getopts", "hash", "if", "in", "jobs", "local", "read", "readonly", "return", "select",
        "set", "shift", "source", "then", "time", "times", "trap", "type", "ulimit", "umask",
        "unalias", "unset", "until", "wait", "while",
    }
)  # fmt: skip


def exec_form(command: str) -> list[str] | str:
    """The exec-form argv equivalent to `/bin/sh -c command`, or why there is none."""
    words = command.split()
    if not words:
        return "the command is empty"
    for word in words:
        if not _PLAIN_WORD.fullmatch(word):
            return "the command uses shell syntax"
    if _ASSIGNMENT.match(words[0]):
        return "the command starts with a variable assignment"
    if words[0] == "exec" and len(words) > 1 and not words[1].startswith("-"):
        words = words[1:]  # `exec prog` replaces the shell by prog: the same as exec form
    if words[0] in _SHELL_ONLY or words[0] == "exec":
        return f"`{words[0]}` is a shell built-in"
    return words


class JSONArgsRecommended(Rule):
    """
    ## What it does
    Reports `CMD` and `ENTRYPOINT` in shell form while no `SHELL` is set, and rewrites them
    in exec (JSON) form when the command uses no shell syntax at all.

    ## Why is this bad?
    In shell form the program runs as a child of `/bin/sh -c`, which does not forward
    signals: `docker stop` waits for the timeout and kills it. This is BuildKit's
    `JSONArgsRecommended` build check, with its trigger: a shell-form `CMD`/`ENTRYPOINT` in a
    stage whose image config has no `SHELL`. A `SHELL` instruction earlier in the stage (or
    in a stage it is built `FROM`) is the documented way to say "shell form on purpose" and
    silences it. Out of reach offline: a base image whose config sets `Shell` (rare; no
    image is assumed to) also silences BuildKit.

    ## Example
    ```dockerfile
    FROM alpine
    ENTRYPOINT my-program start
    ```

    Use instead:
    ```dockerfile
    FROM alpine
    ENTRYPOINT ["my-program", "start"]
    ```

    ## Fix safety
    Only a command made of plain words (letters, digits and `_@%+=:,./^-`, so no variables,
    quotes, globs, `~`, pipes, `&&`, `;` or redirections, no leading `NAME=value`, not a
    shell built-in) is rewritten; `exec prog args` becomes `["prog", "args"]`. Otherwise the
    diagnostic says why, and a wrapper script or an explicit `SHELL` is the way out.
    For `CMD` the fix is safe: the shell would have split the words the same way. It is
    unsafe when the Dockerfile sets an exec-form `ENTRYPOINT` for the stage, which receives
    the `CMD` words as arguments instead of `/bin/sh -c …`. For `ENTRYPOINT` it is always
    unsafe: in exec form the `CMD` and the arguments of `docker run` are passed to the
    program, where the shell ignored them; and there is no fix when the stage (or a stage
    built from it) sets a `CMD`. Windows images are left alone.

    ## References
    - https://docs.docker.com/reference/build-checks/json-args-recommended/
    - BuildKit: `frontend/dockerfile/dockerfile2llb/convert.go` (`dispatchCmd`, `dispatchEntrypoint`)
    """

    code = "BK007"
    name = "JSONArgsRecommended"
    fix_safety = Safety.SAFE
    buildkit_check = "JSONArgsRecommended"

    VALID = (
        'FROM alpine\nENTRYPOINT ["my-program", "start"]\n',
        'FROM alpine\nRUN apk add bash\nSHELL ["/bin/bash", "-c"]\nENTRYPOINT echo "hello world"\n',
        'FROM alpine AS base\nSHELL ["/bin/sh", "-c"]\nFROM base\nCMD echo hi\n',
        "FROM alpine\nHEALTHCHECK CMD curl -f http://localhost/\n",
    )
    INVALID = (
        Invalid("FROM alpine\nCMD node server.js\n", 'FROM alpine\nCMD ["node", "server.js"]\n'),
        Invalid("FROM alpine\ncmd exec nginx -g daemon-off\n", 'FROM alpine\ncmd ["nginx", "-g", "daemon-off"]\n'),
        Invalid("FROM alpine\nCMD echo $HOME && sleep 1\n"),
        Invalid("FROM alpine\nENTRYPOINT my-program start\n", 'FROM alpine\nENTRYPOINT ["my-program", "start"]\n', unsafe=True),
        Invalid("FROM alpine\nENTRYPOINT my-program start\nCMD -v\n", 'FROM alpine\nENTRYPOINT my-program start\nCMD ["-v"]\n'),
        Invalid('FROM alpine\nENTRYPOINT ["python"]\nCMD app.py\n', 'FROM alpine\nENTRYPOINT ["python"]\nCMD ["app.py"]\n', unsafe=True),
        Invalid("FROM alpine\r\nCMD python3 \\\r\n    -m http.server\r\n", 'FROM alpine\r\nCMD ["python3", "-m", "http.server"]\r\n'),
    )  # fmt: skip

    def visit_group(self, group: list[StageInfo]) -> None:
        tree = self.context.tree
        result = dispatch(tree, group)
        for at, instruction, state in result.shell_forms:
            message = (
                f"JSON arguments recommended for {instruction.keyword} to prevent unintended "
                "behavior related to OS signals"
            )
            if at is not instruction:  # an ONBUILD trigger of the parent stage, run here
                self.report(at, message)
                continue
            node = instruction.arguments or instruction
            argv, safety, reason = self._plan(instruction, state, result.stages)
            if argv is None or instruction.arguments is None:
                self.report(node, f"{message} (not rewritten: {reason})")
                continue
            keyword = instruction.keyword
            new = Conventions.of(tree).instruction(f"{keyword} {json.dumps(argv)}").arguments
            self.report(
                node,
                message,
                fix={instruction.arguments: new},
                title=f"Use the exec form {json.dumps(argv)}",
                safety=safety,
            )

    def _plan(
        self, instruction: Instruction, state: StageState, stages: list[StageState]
    ) -> tuple[list[str] | None, Safety, str]:
        if is_windows(state.root_image):
            return None, Safety.UNSAFE, "the default shell of a Windows image is `cmd /S /C`"
        if instruction.arguments is not None and any(
            isinstance(node, Comment) for node in instruction.arguments.descendants()
        ):
            return None, Safety.UNSAFE, "comment lines inside the arguments would be lost"
        argv = exec_form(instruction.value)
        if isinstance(argv, str):
            return None, Safety.UNSAFE, argv
        if instruction.name == "ENTRYPOINT":
            if _sets_cmd(state, stages):
                return None, Safety.UNSAFE, "the stage sets a CMD, which exec form would pass on"
            return argv, Safety.UNSAFE, ""
        if state.json_entrypoint:
            return argv, Safety.UNSAFE, ""
        return argv, Safety.SAFE, ""


def _sets_cmd(state: StageState, stages: list[StageState]) -> bool:
    """Whether the stage, or a stage built from it, has a CMD (at any position)."""
    family = {id(state)}
    for other in stages:
        if other.base is not None and id(other.base) in family:
            family.add(id(other))
    return any(id(other) in family and other.cmd for other in stages)
