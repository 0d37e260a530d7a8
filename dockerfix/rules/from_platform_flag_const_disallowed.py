from __future__ import annotations

from dockerfix import platforms
from dockerfix.expansion import platform_flags
from dockerfix.rules.base import Invalid, Rule
from dockerfix.syntax import Dockerfile
from dockerfix.syntax.buildkit import go_quote


class FromPlatformFlagConstDisallowed(Rule):
    """
    ## What it does
    Reports `FROM --platform=` with a constant value such as `linux/amd64` (BuildKit's
    `FromPlatformFlagConstDisallowed` check), unless the stage name mentions the platform's
    OS or architecture.

    ## Why is this bad?
    A hard-coded platform makes the stage ignore `docker build --platform`: a multi-platform
    build silently produces amd64 binaries in the arm64 image, or runs everything under
    emulation. Use `$BUILDPLATFORM` for a stage that cross-compiles, or no flag at all for a
    stage that should follow the target. Stages meant for one platform are accepted when their
    name says so (`FROM --platform=linux/amd64 alpine AS build-amd64`), as BuildKit does.

    ## Example
    ```dockerfile
    FROM --platform=linux/amd64 golang:1.22 AS build
    ```

    Use instead:
    ```dockerfile
    FROM --platform=$BUILDPLATFORM golang:1.22 AS build
    ```

    ## Fix safety
    No fix: dropping the flag, switching to `$BUILDPLATFORM` or renaming the stage all mean
    different things.

    ## References
    - https://docs.docker.com/reference/build-checks/from-platform-flag-const-disallowed/
    - https://docs.docker.com/build/building/multi-platform/
    """

    code = "BK018"
    name = "FromPlatformFlagConstDisallowed"
    buildkit_check = "FromPlatformFlagConstDisallowed"

    VALID = (
        "FROM --platform=$BUILDPLATFORM golang:1.22 AS build\n",
        "FROM --platform=linux/amd64 alpine AS build_amd64\n",
        "FROM --platform=linux/amd64 alpine AS linux\n",
        "ARG PLATFORM=linux/amd64\nFROM --platform=$PLATFORM alpine\n",
        "FROM --platform=not/a/valid/platform alpine\n",
        "FROM alpine\n",
    )
    INVALID = (
        Invalid("FROM --platform=linux/amd64 alpine\n"),
        Invalid("FROM --platform=linux/arm64 golang:1.22 AS build\n"),
        Invalid('FROM --platform="linux/arm/v7" alpine AS base\n'),
        Invalid("FROM --platform=arm64 alpine AS base\n"),
    )

    def visit_dockerfile(self, tree: Dockerfile) -> None:
        for found in platform_flags(tree):
            stage, expansion = found.stage, found.expansion
            if expansion.matched or expansion.unmatched:
                continue  # a variable was used: not a constant
            platform = platforms.parse(expansion.result)
            if platform is None:
                continue  # BuildKit fails on it later
            name = stage.name or ""
            if platform.os in name or platform.architecture in name:
                continue
            self.report(
                stage.from_instruction,
                f"FROM --platform flag should not use constant value {go_quote(expansion.result)}",
            )
