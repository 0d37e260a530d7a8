from __future__ import annotations

from dockerfix.rules._buildkit import stage_name_node, stage_names
from dockerfix.rules.base import Invalid, Rule
from dockerfix.syntax import Dockerfile, buildkit


class DuplicateStageName(Rule):
    """
    ## What it does
    Reports a stage whose name (compared in lower case, as BuildKit stores it) is already
    used by an earlier stage.

    ## Why is this bad?
    References to the name (`COPY --from=`, `RUN --mount=from=`, `--target`) resolve to only
    one of the stages; which one depends on the reference, so the file does not say what it
    builds. This is BuildKit's `DuplicateStageName` build check: every stage after the first
    with that name is reported.

    ## Example
    ```dockerfile
    FROM debian:latest AS builder
    RUN apt-get update; apt-get install -y curl

    FROM golang:latest AS builder
    ```

    Use instead:
    ```dockerfile
    FROM debian:latest AS deb-builder
    RUN apt-get update; apt-get install -y curl

    FROM golang:latest AS go-builder
    ```

    ## Fix safety
    No fix: renaming needs to know which stage each reference meant.

    ## References
    - https://docs.docker.com/reference/build-checks/duplicate-stage-name/
    - BuildKit: `frontend/dockerfile/dockerfile2llb/validations.go` (`validateStageNames`)
    """

    code = "BK005"
    name = "DuplicateStageName"
    buildkit_check = "DuplicateStageName"

    VALID = (
        "FROM debian:latest AS deb-builder\nRUN apt-get update; apt-get install -y curl\n\nFROM golang:latest AS go-builder\n",
        "FROM alpine AS a\nFROM alpine\nFROM alpine\n",
    )
    INVALID = (
        Invalid("FROM debian:latest AS builder\nRUN apt-get update; apt-get install -y curl\n\nFROM golang:latest AS builder\n"),
        Invalid("FROM a AS base\nFROM b AS Base\nFROM c AS BASE\n"),
    )  # fmt: skip

    def visit_dockerfile(self, tree: Dockerfile) -> None:
        seen: set[str] = set()
        for instruction, name in stage_names(tree):
            lowered = name.lower()
            if lowered in seen:
                self.report(
                    stage_name_node(instruction),
                    f"Duplicate stage name {buildkit.go_quote(lowered)}, stage names should be unique",
                )
            seen.add(lowered)
