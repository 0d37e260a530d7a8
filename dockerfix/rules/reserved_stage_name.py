from __future__ import annotations

from dockerfix.rules._buildkit import stage_name_node, stage_names
from dockerfix.rules.base import Invalid, Rule
from dockerfix.syntax import Dockerfile, buildkit

# validations.go reservedStageNames
RESERVED = frozenset({"context", "scratch"})


class ReservedStageName(Rule):
    """
    ## What it does
    Reports a stage named `scratch` or `context` (in any case).

    ## Why is this bad?
    Both names already mean something to BuildKit: `scratch` is the empty image and
    `context` a named build context. A stage with one of these names makes `FROM scratch` or
    `COPY --from=context` ambiguous to the reader. This is BuildKit's `ReservedStageName`
    build check.

    ## Example
    ```dockerfile
    FROM alpine AS scratch
    FROM alpine AS context
    ```

    Use instead:
    ```dockerfile
    FROM alpine AS builder
    ```

    ## Fix safety
    No fix: renaming the stage is mechanical, but whether each `scratch`/`context` reference
    meant the stage or the reserved meaning is the author's call.

    ## References
    - https://docs.docker.com/reference/build-checks/reserved-stage-name/
    - BuildKit: `frontend/dockerfile/dockerfile2llb/validations.go` (`reservedStageNames`)
    """

    code = "BK006"
    name = "ReservedStageName"
    buildkit_check = "ReservedStageName"

    VALID = ("FROM alpine AS builder\n", "FROM scratch\nFROM alpine AS scratchpad\n")
    INVALID = (
        Invalid("FROM alpine AS scratch\nFROM alpine AS context\n"),
        Invalid("FROM alpine AS Scratch\n"),
    )

    def visit_dockerfile(self, tree: Dockerfile) -> None:
        for instruction, name in stage_names(tree):
            if name.lower() in RESERVED:
                self.report(
                    stage_name_node(instruction),
                    "Stage name should not use the same name as reserved stage "
                    f"{buildkit.go_quote(name.lower())}",
                )
