from __future__ import annotations

from dockerfix import platforms
from dockerfix.expansion import ExpansionError, global_args, process_word
from dockerfix.rules.base import Invalid, Rule
from dockerfix.rules.invalid_default_arg_in_from import DEFAULT_DOMAIN, parse_normalized_named
from dockerfix.semantics import StageInfo
from dockerfix.syntax.buildkit import go_quote

# Docker Hub's per-architecture namespaces, which hold images for one platform only
# (docker-library/official-images README, "Architectures other than amd64?").
ARCHITECTURE_NAMESPACES: dict[str, platforms.Platform] = {
    "amd64": platforms.Platform("linux", "amd64"),
    "arm32v5": platforms.Platform("linux", "arm", "v5"),
    "arm32v6": platforms.Platform("linux", "arm", "v6"),
    "arm32v7": platforms.Platform("linux", "arm", "v7"),
    "arm64v8": platforms.Platform("linux", "arm64"),
    "i386": platforms.Platform("linux", "386"),
    "mips64le": platforms.Platform("linux", "mips64le"),
    "ppc64le": platforms.Platform("linux", "ppc64le"),
    "riscv64": platforms.Platform("linux", "riscv64"),
    "s390x": platforms.Platform("linux", "s390x"),
    "windows-amd64": platforms.Platform("windows", "amd64"),
}


class InvalidBaseImagePlatform(Rule):
    """
    ## What it does
    Reports a stage whose base image cannot be of the platform the stage asks for (BuildKit's
    `InvalidBaseImagePlatform` check), in the one case a Dockerfile alone tells: a constant
    `FROM --platform=` and an image from one of Docker Hub's per-architecture repositories
    (`amd64/`, `arm64v8/`, `arm32v7/`, `i386/`, `ppc64le/`, `s390x/`...) for another OS or
    architecture.

    ## Why is this bad?
    BuildKit compares the OS and architecture of the image it pulled with the platform the
    stage is built for. A single-platform image pulled for another platform runs under
    emulation or not at all, and what it produces carries the wrong architecture; an image
    index without the platform fails to resolve instead.

    BuildKit knows the pulled image's platform; a linter without a registry does not. Base
    images that are multi-platform, stages without `--platform` (which follow the target
    platform chosen when building) and platforms given through variables are out of reach
    offline: they are never reported.

    ## Example
    ```dockerfile
    FROM --platform=linux/arm64 amd64/alpine:3.20
    ```

    Use instead:
    ```dockerfile
    FROM --platform=linux/arm64 alpine:3.20
    ```

    ## Fix safety
    No fix: which image or platform was meant is the author's call.

    ## References
    - https://docs.docker.com/reference/build-checks/
    - https://github.com/docker-library/official-images#architectures-other-than-amd64
    """

    code = "BK014"
    name = "InvalidBaseImagePlatform"
    buildkit_check = "InvalidBaseImagePlatform"

    VALID = (
        "FROM --platform=linux/arm64 alpine:3.20\n",
        "FROM --platform=linux/arm64 arm64v8/alpine:3.20\n",
        "FROM --platform=linux/arm/v6 arm32v7/alpine:3.20 AS arm\n",
        "FROM amd64/alpine:3.20\n",
        "FROM --platform=$BUILDPLATFORM amd64/golang:1.22\n",
        "FROM --platform=linux/arm64 ghcr.io/amd64/tool:1\n",
    )
    INVALID = (
        Invalid("FROM --platform=linux/arm64 amd64/alpine:3.20\n"),
        Invalid("FROM --platform=linux/amd64 docker.io/arm64v8/debian:bookworm AS build_amd64\n"),
        Invalid("ARG TAG=3.20\nFROM --platform=linux/amd64 arm32v7/alpine:${TAG}\n"),
    )

    def visit_stage(self, stage: StageInfo) -> None:
        flag = stage.stage.from_instruction.flag("platform")
        if stage.base_stage is not None or flag is None or flag.value is None:
            return
        tree = self.context.tree
        args = global_args(tree)
        if args is None:
            return
        try:
            name = process_word(stage.stage.base_image, args, tree.escape)
            platform = process_word(flag.value, args, tree.escape)
        except ExpansionError:
            return
        if name.unmatched or platform.matched or platform.unmatched:
            return
        expected = platforms.parse(platform.result)
        reference = parse_normalized_named(name.result)
        if expected is None or reference is None or reference.domain != DEFAULT_DOMAIN:
            return
        actual = ARCHITECTURE_NAMESPACES.get(reference.path.split("/")[0])
        if actual is None or (actual.os, actual.architecture) == (
            expected.os,
            expected.architecture,
        ):
            return
        self.report(
            stage.stage.from_instruction,
            f"Base image {name.result} was pulled with platform"
            f" {go_quote(actual.normalized().format())}, expected"
            f" {go_quote(expected.normalized().format())} for current build",
        )
