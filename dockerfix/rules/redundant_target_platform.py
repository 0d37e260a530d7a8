from __future__ import annotations

from dockerfix.diagnostics import Safety
from dockerfix.expansion import platform_flags
from dockerfix.rules.base import Invalid, Rule
from dockerfix.syntax import Comment, Dockerfile, Flag, Instruction, Token
from dockerfix.syntax.nodes import Child

# Tokens that may sit between two flags (or a flag and the arguments) of one instruction.
_GAP = frozenset({"WS", "LINE_CONTINUATION", "BLANK_LINE"})


def without_flag(instruction: Instruction, flag: Flag) -> Instruction:
    """`instruction` without `flag` and the blanks (and line breaks) that follow it.

    The gap before the flag stays and separates what came before from what follows, so
    `FROM --platform=x img`, `FROM --platform=x \\` + `  img` and a flag alone on a
    continuation line all lose exactly the flag. A comment line in the gap stays.
    """
    children = list(instruction.children)
    at = next(i for i, child in enumerate(children) if child is flag)
    end = at + 1
    while end < len(children) and _is_gap(children[end]):
        end += 1
    if any(isinstance(child, Comment) for child in children[at + 1 : end]):
        end = at + 1
        while end < len(children) and _is_ws(children[end]):
            end += 1
    del children[at:end]
    return instruction.with_changes(children=tuple(children))


def _is_ws(child: Child) -> bool:
    return isinstance(child, Token) and child.type == "WS"


def _is_gap(child: Child) -> bool:
    return isinstance(child, Comment) or (isinstance(child, Token) and child.type in _GAP)


class RedundantTargetPlatform(Rule):
    """
    ## What it does
    Reports `FROM --platform=$TARGETPLATFORM` (or `${TARGETPLATFORM}`), which BuildKit's
    `RedundantTargetPlatform` check calls redundant, and removes the flag.

    ## Why is this bad?
    A stage without `--platform` is already built for the target platform; the flag adds
    noise and suggests something special happens. (`--platform=$BUILDPLATFORM`, used for
    cross-compilation, is different and is not reported.) Like BuildKit, the rule fires when
    the value expands exactly one variable, `TARGETPLATFORM`, to exactly its value, with the
    global `ARG` defaults in effect.

    ## Example
    ```dockerfile
    FROM --platform=$TARGETPLATFORM alpine AS runtime
    ```

    Use instead:
    ```dockerfile
    FROM alpine AS runtime
    ```

    ## Fix safety
    Safe: the flag (and the blanks after it) is removed; the stage keeps the target platform.
    One corner differs: on a builder that lists several build platforms, a stage without
    `--platform` whose base image exists for one platform only may be switched to that
    platform when the build was started without `--platform` (BuildKit's
    `autoDetectPlatform`), where the flag pinned the default target.

    ## References
    - https://docs.docker.com/reference/build-checks/redundant-target-platform/
    - https://docs.docker.com/build/building/multi-platform/
    """

    code = "BK015"
    name = "RedundantTargetPlatform"
    buildkit_check = "RedundantTargetPlatform"
    fix_safety = Safety.SAFE

    VALID = (
        "FROM --platform=$BUILDPLATFORM golang:1.22 AS build\n",
        "FROM alpine\n",
        "FROM --platform=${TARGETPLATFORM:+linux/arm64} alpine\n",
        "ARG SUFFIX=\nFROM --platform=$TARGETPLATFORM$SUFFIX alpine\n",
        "FROM --platform=${TARGETOS}/${TARGETARCH} alpine\n",
        "FROM --platform=linux/amd64 alpine AS amd64\n",
    )
    INVALID = (
        Invalid("FROM --platform=$TARGETPLATFORM alpine\n", "FROM alpine\n"),
        Invalid("FROM --platform=${TARGETPLATFORM} alpine AS runtime\n", "FROM alpine AS runtime\n"),
        Invalid('from --platform="$TARGETPLATFORM" alpine\r\n', "from alpine\r\n"),
        Invalid("FROM --platform=$TARGETPLATFORM \\\n    alpine AS x\n", "FROM alpine AS x\n"),
        Invalid("FROM \\\n  --platform=$TARGETPLATFORM \\\n  alpine\n", "FROM \\\n  alpine\n"),
        Invalid("FROM --platform=${TARGETPLATFORM:-linux/amd64} alpine\n", "FROM alpine\n"),
    )  # fmt: skip

    def visit_dockerfile(self, tree: Dockerfile) -> None:
        for found in platform_flags(tree):
            flag, expansion = found.flag, found.expansion
            if (
                expansion.matched == {"TARGETPLATFORM"}
                and not expansion.unmatched
                and expansion.result == found.args["TARGETPLATFORM"]
            ):
                instruction = found.stage.from_instruction
                self.report(
                    instruction,
                    f"Setting platform to predefined {flag.value} in FROM is redundant as this"
                    " is the default behavior",
                    fix={instruction: without_flag(instruction, flag)},
                    title=f"Remove `--platform={flag.value}`",
                )
