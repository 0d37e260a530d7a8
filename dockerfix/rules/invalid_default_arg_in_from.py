from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from dockerfix.expansion import ExpansionError, global_args, process_word
from dockerfix.rules.base import Invalid, Rule
from dockerfix.syntax import Dockerfile

# distribution/reference's grammar (BK:vendor/github.com/distribution/reference/regexp.go and
# normalize.go), which BuildKit's validateBaseImagesWithDefaultArgs applies through
# reference.ParseNormalizedNamed (BUILDKIT.md §5.5, §6 #17).
_ALPHANUMERIC = r"[a-z0-9]+"
_SEPARATOR = r"(?:[._]|__|[-]+)"
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN_NAME = rf"{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*"
_HOST = rf"(?:{_DOMAIN_NAME}|\[(?:[a-fA-F0-9:]+)\])"
_DOMAIN_AND_PORT = rf"{_HOST}(?::[0-9]+)?"
_TAG = r"[\w][\w.-]{0,127}"
_DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9A-Fa-f]{32,}"
_PATH_COMPONENT = rf"{_ALPHANUMERIC}(?:{_SEPARATOR}{_ALPHANUMERIC})*"
_REMOTE_NAME = rf"{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*"
_NAME = rf"(?:{_DOMAIN_AND_PORT}/)?{_REMOTE_NAME}"
REFERENCE = re.compile(rf"^({_NAME})(?::({_TAG}))?(?:@({_DIGEST}))?\Z", re.ASCII)
_ANCHORED_NAME = re.compile(rf"^(?:({_DOMAIN_AND_PORT})/)?({_REMOTE_NAME})\Z", re.ASCII)
_IDENTIFIER = re.compile(r"^[a-f0-9]{64}\Z")
# go-digest's registered algorithms and the length of their hex encoding.
_DIGEST_LENGTHS = {"sha256": 64, "sha384": 96, "sha512": 128}
_NAME_TOTAL_LENGTH_MAX = 255
DEFAULT_DOMAIN = "docker.io"


@dataclass(frozen=True)
class Reference:
    """A parsed, normalized image reference: `docker.io`, `library/alpine`, `3.20`, digest."""

    domain: str
    path: str
    tag: str
    digest: str


def split_docker_domain(name: str) -> tuple[str, str]:
    """splitDockerDomain: the registry and the remote name, Docker Hub's defaults applied."""
    maybe_domain, slash, maybe_remote = name.partition("/")
    if not slash:
        return DEFAULT_DOMAIN, "library/" + name
    if maybe_domain == "localhost":
        domain, remote = maybe_domain, maybe_remote
    elif maybe_domain == "index.docker.io":
        domain, remote = DEFAULT_DOMAIN, maybe_remote
    elif any(ch in maybe_domain for ch in ".:") or maybe_domain.lower() != maybe_domain:
        domain, remote = maybe_domain, maybe_remote
    else:
        domain, remote = DEFAULT_DOMAIN, name
    if domain == DEFAULT_DOMAIN and "/" not in remote:
        remote = "library/" + remote
    return domain, remote


# Files name the same few images again and again (and a language server checks them on
# every keystroke): the answer depends on the name alone.
@lru_cache(maxsize=4096)
def parse_normalized_named(name: str) -> Reference | None:
    """reference.ParseNormalizedNamed: the reference, or None where it returns an error."""
    if _IDENTIFIER.match(name):
        return None
    domain, remainder = split_docker_domain(name)
    remote = remainder.partition(":")[0]
    if remote.lower() != remote:
        return None
    match = REFERENCE.match(f"{domain}/{remainder}")
    if match is None:
        return None
    named = _ANCHORED_NAME.match(match.group(1))
    assert named is not None, "the reference grammar contains the name grammar"
    path = named.group(2)
    digest = match.group(3) or ""
    if len(path) > _NAME_TOTAL_LENGTH_MAX or (digest and not _valid_digest(digest)):
        return None
    return Reference(named.group(1) or "", path, match.group(2) or "", digest)


def _valid_digest(digest: str) -> bool:
    algorithm, _, encoded = digest.partition(":")
    length = _DIGEST_LENGTHS.get(algorithm)
    return length is not None and re.fullmatch(f"[a-f0-9]{{{length}}}", encoded) is not None


class InvalidDefaultArgInFrom(Rule):
    """
    ## What it does
    Reports a `FROM` whose image name is empty or invalid when the global `ARG`s keep their
    default values (BuildKit's `InvalidDefaultArgInFrom` check).

    ## Why is this bad?
    `ARG TAG` without a default expands to nothing, so `FROM alpine:${TAG}` becomes `alpine:`
    and the build fails unless every caller passes `--build-arg TAG=...`. A default makes the
    Dockerfile build on its own; `${TAG:-3.20}` documents the fallback in place. BuildKit
    evaluates each `FROM` with the automatic platform ARGs and the global ARG defaults only and
    warns when the result is not a valid image reference.

    ## Example
    ```dockerfile
    ARG TAG
    FROM alpine:${TAG}
    ```

    Use instead:
    ```dockerfile
    ARG TAG=3.20
    FROM alpine:${TAG}
    ```

    ## Fix safety
    No fix: the default to add is the author's choice.

    ## References
    - https://docs.docker.com/reference/build-checks/invalid-default-arg-in-from/
    - https://docs.docker.com/reference/dockerfile/#understand-how-arg-and-from-interact
    """

    code = "BK017"
    name = "InvalidDefaultArgInFrom"
    buildkit_check = "InvalidDefaultArgInFrom"

    VALID = (
        'ARG VERSION="latest"\nFROM busybox:${VERSION}\n',
        'ARG VARIANT=""\nFROM busybox:stable${VARIANT}\n',
        "ARG VARIANT\nFROM busybox:stable${VARIANT}\n",
        "ARG TAG\nFROM alpine:${TAG:-3.20}\n",
        "FROM golang:1.22 AS build\nFROM build\n",
        "FROM --platform=$BUILDPLATFORM golang:1.22-alpine\n",
        "FROM alpine@sha256:" + "a" * 64 + "\n",
    )
    INVALID = (
        Invalid("ARG VERSION\nFROM busybox:$VERSION\n"),
        Invalid("ARG IMAGE\nFROM $IMAGE\n"),
        Invalid('ARG SFX="box:"\nFROM busy${SFX}\n'),
        Invalid("ARG REGISTRY\nFROM ${REGISTRY}/team/app:1\n"),
        Invalid("FROM Alpine:3.20\n"),
    )

    def visit_dockerfile(self, tree: Dockerfile) -> None:
        args = global_args(tree)
        if args is None:
            return  # BuildKit abandons the check (and then fails the build)
        for stage in tree.stages:
            try:
                name = process_word(stage.base_image, args, tree.escape).result
            except ExpansionError:
                return
            if parse_normalized_named(name) is None:
                self.report(
                    stage.from_instruction,
                    f"Default value for ARG {stage.base_image} results in empty or invalid"
                    " base image name",
                )
