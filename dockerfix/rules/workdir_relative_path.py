from __future__ import annotations

import posixpath

from dockerfix.conventions import Conventions
from dockerfix.diagnostics import Safety
from dockerfix.rules._buildkit import StageState, dispatch, is_windows
from dockerfix.rules.base import Invalid, Rule, Target
from dockerfix.semantics import StageInfo
from dockerfix.syntax import Comment, Dockerfile, Instruction, buildkit

# A path the fix can write as is: no quotes, escapes, variables, `~` or blanks.
_UNSAFE_CHARS = frozenset("\"'`\\$~ \t")


class WorkdirRelativePath(Rule):
    """
    ## What it does
    Reports the first `WORKDIR` of a stage when it is a relative path and no absolute
    `WORKDIR` was set before in the stage or in the stages it is built `FROM`.

    ## Why is this bad?
    A relative `WORKDIR` is resolved against the base image's working directory, which the
    image's maintainers may change at any time (`WORKDIR app` is `/app` on `alpine` but
    `/go/app` on `golang`). This is BuildKit's `WorkdirRelativePath` build check, with its
    trigger: the path is tested after variable expansion (`WORKDIR $HOME/app` with `HOME`
    undefined is `/app`, absolute), only the first `WORKDIR` of a stage counts (even if it is
    absolute, later ones are fine), and a stage built `FROM` another stage inherits "already
    set". `WORKDIR` does not expand `~`: `~/app` is a relative directory named `~`.

    ## Example
    ```dockerfile
    FROM nginx AS web
    WORKDIR usr/share/nginx/html
    COPY public .
    ```

    Use instead:
    ```dockerfile
    FROM nginx AS web
    WORKDIR /usr/share/nginx/html
    COPY public .
    ```

    ## Fix safety
    The fix writes the absolute path the build uses today, resolved against the base
    image's working directory. That directory is only known offline for `scratch` (`/`,
    safe fix) and for official images whose `WorkingDir` is listed in dockerfix (unsafe fix:
    it pins what the image does today, e.g. `/go` for `golang`). Any other base image, a path
    with variables, quotes, escapes or `~`, and Windows images get the diagnostic only.

    ## References
    - https://docs.docker.com/reference/build-checks/workdir-relative-path/
    - BuildKit: `frontend/dockerfile/dockerfile2llb/convert.go` (`dispatchWorkdir`)
    """

    code = "BK010"
    name = "WorkdirRelativePath"
    fix_safety = Safety.SAFE
    buildkit_check = "WorkdirRelativePath"

    VALID = (
        "FROM nginx AS web\nWORKDIR /usr/share/nginx/html\nCOPY public .\n",
        "FROM alpine\nWORKDIR /app\nWORKDIR src\n",
        "FROM alpine AS base\nWORKDIR /app\nFROM base\nWORKDIR src\n",
        "FROM alpine\nWORKDIR $HOME/app\n",
        "FROM alpine\nENV APP=/srv/app\nWORKDIR ${APP}\n",
    )
    INVALID = (
        Invalid("FROM nginx AS web\nWORKDIR usr/share/nginx/html\nCOPY public .\n", "FROM nginx AS web\nWORKDIR /usr/share/nginx/html\nCOPY public .\n", unsafe=True),
        Invalid("FROM scratch\nWORKDIR app\r\n", "FROM scratch\nWORKDIR /app\r\n"),
        Invalid("FROM golang:1.23\nWORKDIR src/app\nWORKDIR cmd\n", "FROM golang:1.23\nWORKDIR /go/src/app\nWORKDIR cmd\n", unsafe=True),
        Invalid("FROM example.com/base\nWORKDIR app\n"),
        Invalid("FROM alpine\nWORKDIR ~/app\n"),
    )  # fmt: skip

    def visit_group(self, group: list[StageInfo]) -> None:
        tree = self.context.tree
        for at, instruction, path, state in dispatch(tree, group).relative_workdirs:
            message = (
                f"Relative workdir {buildkit.go_quote(path)} can have unexpected results "
                "if the base image changes"
            )
            fix = _fix(tree, instruction, state) if at is instruction else None
            if fix is None:
                self.report(at, message)
                continue
            absolute, safety, arguments = fix
            self.report(
                instruction,
                message,
                fix=arguments,
                title=f"Write the absolute path {absolute}",
                safety=safety,
            )


def _fix(
    tree: Dockerfile, instruction: Instruction, state: StageState
) -> tuple[str, Safety, dict[Target, Target]] | None:
    image = state.root_image
    arguments = instruction.arguments
    raw = instruction.value
    if (
        image is None
        or is_windows(image)
        or state.base_workdir is None
        or arguments is None
        or not raw
        or any(ch in _UNSAFE_CHARS for ch in raw)
        or any(isinstance(node, Comment) for node in arguments.descendants())
    ):
        return None
    absolute = posixpath.normpath(posixpath.join(state.base_workdir, raw))
    if raw.endswith("/") and absolute != "/":
        absolute += "/"
    safety = Safety.SAFE if image.repository == "scratch" else Safety.UNSAFE
    new = Conventions.of(tree).instruction(f"WORKDIR {absolute}").arguments
    if new is None:
        return None
    return absolute, safety, {arguments: new}
