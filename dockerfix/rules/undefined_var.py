from __future__ import annotations

from dockerfix.rules._buildkit import dispatch, find_reference
from dockerfix.rules.base import Invalid, Rule
from dockerfix.semantics import StageInfo
from dockerfix.syntax import Node, Token


class UndefinedVar(Rule):
    """
    ## What it does
    Reports a variable that BuildKit expands (in `ENV`, `LABEL`, `ARG` defaults, `COPY`/
    `ADD` paths and `--chown`/`--chmod`/`--checksum`, unquoted `COPY`/`ADD` heredocs,
    `RUN --mount` options, `WORKDIR`, `USER`, `VOLUME`, `STOPSIGNAL`) while it is not
    defined, with a "did you mean" for a close name.

    ## Why is this bad?
    An undefined variable expands to nothing: `ENV PATH=$PAHT:/app/bin` loses the whole
    `PATH`, `--mount=type=cache,target=$HOME/.cache` mounts `/.cache`. This is BuildKit's
    `UndefinedVar` build check, replaying its dispatch of every stage: defined are the
    stage's `ENV`s and valued `ARG`s so far, the base image's environment, and (inherited
    through `FROM <stage>`) those of the parent stage; an `ARG NAME` without a value also
    counts as a declaration. A global `ARG` must be re-declared in the stage to be used there.
    `${X:-default}` still counts as a use of `X`; `$1`, `$@`... are names too. Shell-form
    `RUN`/`CMD`/`ENTRYPOINT` text, `HEALTHCHECK`, `EXPOSE` and quoted heredocs are not checked
    (BuildKit does not expand them, or does not report them). `ONBUILD` triggers of a stage
    are checked where a later stage is built `FROM` it, at that `FROM`, as BuildKit does.
    Each name is reported once per instruction.

    Out of reach offline: the base image's environment. Official images' variables are
    known (`PYTHON_VERSION`, `GOPATH`, `JAVA_HOME`...; `PATH` always is); for any other image
    a variable it defines is reported, as BuildKit does for an image without it. Declare
    it with `ARG NAME` in the stage (no value: the image's value is kept) to say it comes from
    the image.

    ## Example
    ```dockerfile
    FROM alpine AS base
    COPY $foo .
    ```

    Use instead:
    ```dockerfile
    FROM alpine AS base
    ARG foo
    COPY $foo .
    ```

    ## Fix safety
    No fix: whether the variable is a typo, should be declared, or is meant to be empty is
    the author's call; the suggestion in the message names the likely intent.

    ## References
    - https://docs.docker.com/reference/build-checks/undefined-var/
    - BuildKit: `frontend/dockerfile/dockerfile2llb/convert.go` (`dispatch`),
      `validations.go` (`reportUnmatchedVariables`)
    """

    code = "BK011"
    name = "UndefinedVar"
    buildkit_check = "UndefinedVar"

    VALID = (
        "FROM alpine AS base\nARG foo\nCOPY $foo .\n",
        "FROM python AS base\nARG VERSION=$PYTHON_VERSION\n",
        "FROM alpine\nRUN echo $UNDEFINED\nCMD echo $UNDEFINED\n",
        "FROM alpine\nENV A=1\nENV B=$A PATH=$PATH:/x\n",
        "ARG V=1\nFROM alpine\nARG V\nRUN --mount=type=cache,target=/c/$V true\n",
        "FROM alpine\nCOPY <<'EOF' /x\n$literal\nEOF\n",
    )
    INVALID = (
        Invalid("FROM alpine AS base\nCOPY $foo .\n"),
        Invalid("FROM alpine AS base\nARG VERSION=$foo\n"),
        Invalid("FROM alpine\nENV PATH=$PAHT:/app/bin\n"),
        Invalid("ARG V=1\nFROM alpine\nWORKDIR /src/$V\n"),
        Invalid("FROM alpine\nRUN --mount=type=cache,target=$HOME/.npm npm ci\n"),
        Invalid("FROM alpine\nENV A=1 B=$A\n"),
        Invalid("FROM alpine\nCOPY <<EOF /etc/app.conf\nport=${PORT}\nEOF\n"),
        Invalid("FROM alpine AS base\nONBUILD COPY $SRC /app\nFROM base\n"),
    )  # fmt: skip

    def visit_group(self, group: list[StageInfo]) -> None:
        tree = self.context.tree
        for found in dispatch(tree, group).undefined:
            message = f"Usage of undefined variable '${found.name}'"
            if found.suggestion:
                message += f" (did you mean ${found.suggestion}?)"
            node: Node | Token = found.at
            if found.at is found.source:
                node = find_reference(found.source, found.name) or found.at
            self.report(node, message)
