"""DF003 CrossCompile: before/after tables beyond the rule's own examples, and the shared cases."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import dockerfile
import pytest

from dockerfix.config import Config
from dockerfix.engine import check, fix
from tests.conftest import CASES, read_exact

ONLY = Config(select=("DF003",))
GO_ENV = "GOOS=$TARGETOS GOARCH=$TARGETARCH GOARM=${TARGETVARIANT#v} "
ARGS = "ARG TARGETOS TARGETARCH TARGETVARIANT\n"
PLATFORM = "--platform=$BUILDPLATFORM "

# (before, after) with unsafe fixes on.
FIXED = [
    pytest.param(
        "FROM golang:1.22 AS build\n"
        "WORKDIR /src\n"
        "COPY go.mod go.sum ./\n"
        "RUN go mod download\n"
        "COPY . .\n"
        "RUN CGO_ENABLED=0 go build -o /out/app ./cmd/app\n"
        "FROM alpine\n"
        "COPY --from=build /out/app /app\n",
        f"FROM {PLATFORM}golang:1.22 AS build\n"
        "WORKDIR /src\n"
        "COPY go.mod go.sum ./\n"
        "RUN go mod download\n"
        "COPY . .\n"
        f"{ARGS}"
        f"RUN CGO_ENABLED=0 {GO_ENV}go build -o /out/app ./cmd/app\n"
        "FROM alpine\n"
        "COPY --from=build /out/app /app\n",
        id="ARG goes right before the first compile step, after the download",
    ),
    pytest.param(
        "FROM golang AS build\n"
        "ENV CGO_ENABLED=0\n"
        "# compile\n"
        "# (static)\n"
        "RUN go build -o /a ./a\n"
        "RUN go build -o /b ./b\n"
        "FROM scratch\n"
        "COPY --from=build /a /b /\n",
        f"FROM {PLATFORM}golang AS build\n"
        "ENV CGO_ENABLED=0\n"
        f"{ARGS}"
        "# compile\n"
        "# (static)\n"
        f"RUN {GO_ENV}go build -o /a ./a\n"
        f"RUN {GO_ENV}go build -o /b ./b\n"
        "FROM scratch\n"
        "COPY --from=build /a /b /\n",
        id="ARG above the comments that lead into the RUN; one ARG for every build",
    ),
    pytest.param(
        "FROM golang AS build\n"
        "RUN --mount=type=cache,target=/root/.cache/go-build \\\n"
        "    CGO_ENABLED=0 \\\n"
        "    # flags below\n"
        "    go build -trimpath -o /app .\n"
        "FROM scratch\n"
        "COPY --from=build /app /app\n",
        f"FROM {PLATFORM}golang AS build\n"
        f"{ARGS}"
        "RUN --mount=type=cache,target=/root/.cache/go-build \\\n"
        "    CGO_ENABLED=0 \\\n"
        "    # flags below\n"
        f"    {GO_ENV}go build -trimpath -o /app .\n"
        "FROM scratch\n"
        "COPY --from=build /app /app\n",
        id="continuation lines, a comment inside them and mounts are kept",
    ),
    pytest.param(
        "FROM golang AS build\n"
        "RUN export CGO_ENABLED=0 && env GOFLAGS=-mod=vendor go build -o /app .\n"
        "FROM scratch\n"
        "COPY --from=build /app /app\n",
        f"FROM {PLATFORM}golang AS build\n"
        f"{ARGS}"
        f"RUN export CGO_ENABLED=0 && env GOFLAGS=-mod=vendor {GO_ENV}go build -o /app .\n"
        "FROM scratch\n"
        "COPY --from=build /app /app\n",
        id="cgo off by export; the variables go after env's own",
    ),
    pytest.param(
        "FROM golang AS build\n"
        "RUN go env -w CGO_ENABLED=0\n"
        "RUN go -C cmd/app build -o /app\n"
        "FROM scratch\n"
        "COPY --from=build /app /app\n",
        f"FROM {PLATFORM}golang AS build\n"
        "RUN go env -w CGO_ENABLED=0\n"
        f"{ARGS}"
        f"RUN {GO_ENV}go -C cmd/app build -o /app\n"
        "FROM scratch\n"
        "COPY --from=build /app /app\n",
        id="cgo off by go env -w; go -C dir build",
    ),
    pytest.param(
        "FROM golang AS build\n"
        "ARG CGO_ENABLED=0\n"
        "ARG TARGETOS\n"
        "ARG TARGETARCH\n"
        "RUN GOARCH=$TARGETARCH go build -o /app .\n"
        "FROM scratch\n"
        "COPY --from=build /app /app\n",
        f"FROM {PLATFORM}golang AS build\n"
        "ARG CGO_ENABLED=0\n"
        "ARG TARGETOS\n"
        "ARG TARGETARCH\n"
        "RUN GOARCH=$TARGETARCH GOOS=$TARGETOS go build -o /app .\n"
        "FROM scratch\n"
        "COPY --from=build /app /app\n",
        id="only the missing variable; ARGs already declared are not repeated",
    ),
    pytest.param(
        "FROM golang AS build\n"
        "ENV CGO_ENABLED=0\n"
        "RUN <<EOF\n"
        "set -e\n"
        "go build -o /app .\n"
        "EOF\n"
        "FROM scratch\n"
        "COPY --from=build /app /app\n",
        f"FROM {PLATFORM}golang AS build\n"
        "ENV CGO_ENABLED=0\n"
        f"{ARGS}"
        "RUN <<EOF\n"
        "set -e\n"
        f"{GO_ENV}go build -o /app .\n"
        "EOF\n"
        "FROM scratch\n"
        "COPY --from=build /app /app\n",
        id="heredoc script",
    ),
    pytest.param(
        "FROM golang AS build\n"
        "ENV CGO_ENABLED=0\n"
        "RUN go install github.com/a-h/templ/cmd/templ@v0.2 && templ generate && go build -o /app .\n"  # noqa: E501
        "FROM scratch\n"
        "COPY --from=build /app /app\n",
        f"FROM {PLATFORM}golang AS build\n"
        "ENV CGO_ENABLED=0\n"
        f"{ARGS}"
        "RUN go install github.com/a-h/templ/cmd/templ@v0.2 && templ generate && "
        f"{GO_ENV}go build -o /app .\n"
        "FROM scratch\n"
        "COPY --from=build /app /app\n",
        id="a go-installed tool the stage runs stays native",
    ),
    pytest.param(
        "# escape=`\r\n"
        "from golang as build\r\n"
        "  run CGO_ENABLED=0 `\r\n"
        "      go build -o /app .\r\n"
        "from scratch\r\n"
        "copy --from=build /app /app\r\n",
        "# escape=`\r\n"
        f"from {PLATFORM}golang as build\r\n"
        "  arg TARGETOS TARGETARCH TARGETVARIANT\r\n"
        "  run CGO_ENABLED=0 `\r\n"
        f"      {GO_ENV}go build -o /app .\r\n"
        "from scratch\r\n"
        "copy --from=build /app /app\r\n",
        id="CRLF, backtick escape, lower-case keywords and indent",
    ),
    pytest.param(
        "FROM golang AS build\n"
        "RUN CGO_ENABLED=0 GOOS=linux GOARCH=arm64 go build -o /app .\n"
        "FROM scratch\n"
        "COPY --from=build /app /app\n",
        f"FROM {PLATFORM}golang AS build\n"
        "RUN CGO_ENABLED=0 GOOS=linux GOARCH=arm64 go build -o /app .\n"
        "FROM scratch\n"
        "COPY --from=build /app /app\n",
        id="a pinned GOOS/GOARCH is kept: the binary stays the same",
    ),
    pytest.param(
        "FROM golang AS build\n"
        "ENV CGO_ENABLED=0\n"
        "RUN go build -o /app .\n"
        "FROM alpine\n"
        "RUN --mount=from=build,source=/app,target=/app /app --self-test\n",
        f"FROM {PLATFORM}golang AS build\n"
        "ENV CGO_ENABLED=0\n"
        f"{ARGS}"
        f"RUN {GO_ENV}go build -o /app .\n"
        "FROM alpine\n"
        "RUN --mount=from=build,source=/app,target=/app /app --self-test\n",
        id="consumed through a mount by a target-platform stage",
    ),
    pytest.param(
        "FROM node:20 AS web\n"
        "WORKDIR /app\n"
        "RUN npm ci\n"
        "RUN npm run build:prod\n"
        "FROM nginx\n"
        "COPY --from=web /app/dist /usr/share/nginx/html\n",
        f"FROM {PLATFORM}node:20 AS web\n"
        "WORKDIR /app\n"
        "RUN npm ci\n"
        "RUN npm run build:prod\n"
        "FROM nginx\n"
        "COPY --from=web /app/dist /usr/share/nginx/html\n",
        id="JS bundle: only the FROM changes",
    ),
    pytest.param(
        "FROM gradle:8-jdk21 AS build\n"
        "RUN gradle bootJar --no-daemon\n"
        "FROM eclipse-temurin:21-jre\n"
        "COPY --from=build /home/gradle/src/build/libs/*.jar /app.jar\n",
        f"FROM {PLATFORM}gradle:8-jdk21 AS build\n"
        "RUN gradle bootJar --no-daemon\n"
        "FROM eclipse-temurin:21-jre\n"
        "COPY --from=build /home/gradle/src/build/libs/*.jar /app.jar\n",
        id="JVM jar",
    ),
]

# Reported without a fix: (source, what the message must say).
EXPLAINED = [
    pytest.param(
        "FROM golang AS b\nRUN go build -o /app .\nFROM alpine\nCOPY --from=b /app /app\n",
        "cgo may be on",
        id="cgo not disabled",
    ),
    pytest.param(
        "FROM golang AS b\nENV CGO_ENABLED=1\nRUN go build -o /app .\nFROM alpine\nCOPY --from=b /app /app\n",  # noqa: E501
        "cgo is on (CGO_ENABLED=1)",
        id="cgo enabled",
    ),
    pytest.param(
        "FROM golang AS b\nRUN CGO_ENABLED=0 go build -o /a . && go build -o /b ./b\nFROM alpine\nCOPY --from=b /a /a\n",  # noqa: E501
        "for `go build` on line 2",
        id="cgo prefix on one command only",
    ),
    pytest.param(
        "FROM golang AS b\nENV CGO_ENABLED=0\nRUN go build -o /bin/app .\nRUN app --version\nFROM alpine\nCOPY --from=b /bin/app /app\n",  # noqa: E501
        "runs its own build output (`app` on line 4)",
        id="runs the binary",
    ),
    pytest.param(
        "FROM golang AS b\nENV CGO_ENABLED=0\nRUN go build -o /out/ ./cmd/... && mystery\nFROM alpine\nCOPY --from=b /out/x /x\n",  # noqa: E501
        "runs its own build output (`mystery`",
        id="may run an output whose name is unknown",
    ),
    pytest.param(
        "FROM golang AS b\nENV CGO_ENABLED=0\nRUN go build -o /app . && strip /app\nFROM alpine\nCOPY --from=b /app /app\n",  # noqa: E501
        "`strip` on line 3 processes the built binary",
        id="post-processes the binary",
    ),
    pytest.param(
        "FROM golang AS b\nENV CGO_ENABLED=0\nRUN go build -o /app . && curl -o /tini https://x/tini-$(uname -m)\nFROM alpine\nCOPY --from=b /app /tini /\n",  # noqa: E501
        "`uname -m` on line 3 reads the build machine's architecture",
        id="probes the architecture",
    ),
    pytest.param(
        "FROM golang AS b\nENV CGO_ENABLED=0\nRUN apt-get install -y libx && go build -o /app .\nFROM debian\nCOPY --from=b /usr/lib/libx.so /usr/lib/\nCOPY --from=b /app /app\n",  # noqa: E501
        "copies `/usr/lib/libx.so` from it, which would hold files of the build platform",
        id="hands out installed system files",
    ),
    pytest.param(
        "FROM golang AS b\nENV CGO_ENABLED=0\nRUN go install ./cmd/app\nFROM alpine\nCOPY --from=b /go/bin/app /app\n",  # noqa: E501
        "writes to $GOPATH/bin/<os>_<arch>/",
        id="go install output handed out",
    ),
    pytest.param(
        "FROM golang AS b\nENV CGO_ENABLED=0\nCOPY --from=golang:1.21 /usr/local/go /usr/local/go\nRUN go build -o /app .\nFROM alpine\nCOPY --from=b /app /app\n",  # noqa: E501
        "runs `go` (line 4), copied from `golang:1.21`",
        id="runs a program copied from a target-platform image",
    ),
    pytest.param(
        'FROM golang AS b\nRUN ["go", "build", "-o", "/app", "."]\nFROM alpine\nCOPY --from=b /app /app\n',  # noqa: E501
        "exec-form RUN",
        id="exec form",
    ),
    pytest.param(
        "FROM golang AS b\nENV CGO_ENABLED=0\nRUN <<EOF cat > /b.sh\ngo build -o /app .\nEOF\nFROM alpine\nCOPY --from=b /app /app\n",  # noqa: E501
        "heredoc that is not a shell script",
        id="go in a heredoc the shell does not run",
    ),
    pytest.param(
        "FROM golang AS b\nENV CGO_ENABLED=0\nRUN time go build -o /app .\nFROM alpine\nCOPY --from=b /app /app\n",  # noqa: E501
        "`go` runs through `time`",
        id="wrapper",
    ),
    pytest.param(
        "ARG TARGETPLATFORM=linux/amd64\nFROM golang AS b\nENV CGO_ENABLED=0\nRUN go build -o /app .\nFROM alpine\nCOPY --from=b /app /app\n",  # noqa: E501
        "the global `ARG TARGETPLATFORM=linux/amd64` replaces the automatic target platform",
        id="global ARG default",
    ),
    pytest.param(
        "FROM golang AS b\nENV CGO_ENABLED=0\nARG TARGETARCH=amd64\nRUN go build -o /app .\nFROM alpine\nCOPY --from=b /app /app\n",  # noqa: E501
        "its `ARG TARGETARCH=amd64` replaces the automatic target platform",
        id="stage ARG default",
    ),
    pytest.param(
        "FROM --platform=linux/amd64 golang AS b\nENV CGO_ENABLED=0\nRUN go build -o /app .\nFROM alpine\nCOPY --from=b /app /app\n",  # noqa: E501
        "its FROM already sets `--platform=linux/amd64`",
        id="FROM already has --platform",
    ),
    pytest.param(
        "FROM --platform=${BUILDPLATFORM} golang AS b\nENV CGO_ENABLED=0\nRUN GOOS=linux go build -o /app .\nFROM alpine\nCOPY --from=b /app /app\n",  # noqa: E501
        "runs on $BUILDPLATFORM but `go build` on line 3 sets no GOARCH",
        id="on $BUILDPLATFORM but no GOARCH: a build-platform binary",
    ),
    pytest.param(
        "FROM golang AS base\nRUN go mod download\nFROM base AS b\nENV CGO_ENABLED=0\nRUN go build -o /app .\nFROM alpine\nCOPY --from=b /app /app\n",  # noqa: E501
        "based on stage `base` and inherits that stage's platform",
        id="based on another stage",
    ),
    pytest.param(
        "FROM golang AS b\nENV CGO_ENABLED=0\nRUN go build -o /app .\nFROM b AS test\nRUN /app -test\nFROM alpine\nCOPY --from=b /app /app\n",  # noqa: E501
        "stage `test` is built FROM it and would inherit the build platform",
        id="base of another stage",
    ),
]

# Nothing to say.
SILENT = [
    pytest.param(
        (CASES / "cross-compile-not-for-runtime-stage" / "Dockerfile").read_text(),
        id="single stage: the builder is the image",
    ),
    pytest.param(
        "FROM --platform=$BUILDPLATFORM golang AS b\nARG TARGETOS TARGETARCH\n"
        "RUN CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH go build -o /app .\n"
        "FROM alpine\nCOPY --from=b /app /app\n",
        id="already cross-compiled",
    ),
    pytest.param(
        "FROM golang AS dev\nRUN CGO_ENABLED=0 go build -o /app .\nFROM alpine\n",
        id="nobody copies from it",
    ),
    pytest.param(
        "FROM golang AS tools\nRUN go install golang.org/x/tools/cmd/stringer@latest\n"
        "FROM alpine\nCOPY --from=tools /etc/ssl/certs /etc/ssl/certs\n",
        id="go install of a tool nobody copies",
    ),
    pytest.param(
        "FROM mcr.microsoft.com/windows/servercore:ltsc2022 AS b\nRUN go build -o app.exe .\n"
        "FROM mcr.microsoft.com/windows/nanoserver:ltsc2022\nCOPY --from=b app.exe /app.exe\n",
        id="windows",
    ),
    pytest.param(
        "FROM node:20 AS deps\nRUN npm ci\nFROM node:20 AS build\n"
        "COPY --from=deps /app/node_modules ./node_modules\nRUN npm run build\n"
        "FROM nginx\nCOPY --from=build /app/dist /usr/share/nginx/html\n",
        id="JS build with node_modules from a target-platform stage",
    ),
    pytest.param(
        "FROM node:20 AS build\nRUN npm ci && npm run build\nFROM node:20-slim\n"
        "COPY --from=build /app/.next/standalone ./\n",
        id="Next.js standalone output carries node_modules",
    ),
    pytest.param(
        "FROM node:20 AS build\nRUN npm ci && npm run build\nFROM debian\n"
        'COPY --from=build /app/out/server /server\nENTRYPOINT ["/server"]\n',
        id="JS output copied into a plain OS image is not a bundle",
    ),
    pytest.param(
        "FROM node:20 AS build\nRUN npm ci && npx pkg . -o /out/app\nFROM debian\n"
        "COPY --from=build /out/app /app\n",
        id="JS made into a native executable",
    ),
    pytest.param(
        "FROM maven AS build\nRUN mvn -Pnative package\nFROM debian\n"
        "COPY --from=build /app/target/app-runner /app\n",
        id="GraalVM native image",
    ),
    pytest.param(
        "FROM eclipse-temurin:21 AS jre\nRUN jlink --add-modules java.base --output /jre\n"
        "FROM debian\nCOPY --from=jre /jre /opt/jre\n",
        id="jlink makes a native runtime",
    ),
]


def _messages(source: str, config: Config = ONLY) -> list[str]:
    return [d.message for d in check(source, config)]


@pytest.mark.parametrize(("source", "expected"), FIXED)
def test_fix(source: str, expected: str) -> None:
    result = fix(source, ONLY, unsafe=True)
    assert result.text == expected
    assert fix(result.text, ONLY, unsafe=True).text == result.text, "not idempotent"
    assert _messages(result.text) == []
    assert dockerfile.parse_string(result.text)  # BuildKit's parser accepts it


@pytest.mark.parametrize(("source", "expected"), FIXED)
def test_fix_is_unsafe(source: str, expected: str) -> None:
    assert fix(source, ONLY).text == source


@pytest.mark.parametrize(("source", "reason"), EXPLAINED)
def test_explains_why_not(source: str, reason: str) -> None:
    (diagnostic,) = check(source, ONLY)
    assert reason in diagnostic.message
    assert diagnostic.fix is None
    assert fix(source, ONLY, unsafe=True).text == source


@pytest.mark.parametrize("source", SILENT)
def test_silent(source: str) -> None:
    assert _messages(source) == []


def test_goarm_can_be_turned_off() -> None:
    config = Config(select=("DF003",), rule_options={"CrossCompile": {"goarm": False}})
    source = "FROM golang AS b\nRUN CGO_ENABLED=0 go build -o /app .\nFROM scratch\nCOPY --from=b /app /app\n"  # noqa: E501
    assert fix(source, config, unsafe=True).text == (
        f"FROM {PLATFORM}golang AS b\nARG TARGETOS TARGETARCH\n"
        "RUN CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH go build -o /app .\n"
        "FROM scratch\nCOPY --from=b /app /app\n"
    )


def test_the_fix_is_one_diagnostic_on_the_from_line() -> None:
    source = (CASES / "cross-compile-go" / "Dockerfile").read_text()
    (diagnostic,) = check(source, ONLY)
    assert diagnostic.location.line == 1
    assert diagnostic.fix is not None
    assert diagnostic.fix.title == "Cross-compile stage `builder` on $BUILDPLATFORM"


# -- the shared acceptance cases, judged as verify_cases.py judges them ---------------------

ACCEPTANCE = ["cross-compile-go", "cross-compile-not-for-runtime-stage"]


@pytest.mark.parametrize("name", ACCEPTANCE)
def test_shared_case(name: str) -> None:
    case = CASES / name
    spec = json.loads((case / "expect.json").read_text())
    assert spec.get("args") == ["--unsafe-fixes"]
    source = read_exact(case / "Dockerfile")
    result = fix(source, unsafe=True)  # every default rule, as `dockerfix --unsafe-fixes` runs
    assert fix(result.text, unsafe=True).text == result.text, "not idempotent"
    _judge(source, result.text, spec["expect"])


def _judge(before: str, after: str, expectations: list[dict[str, Any]]) -> None:
    commands = dockerfile.parse_string(after)
    named: list[tuple[str, str]] = []
    for want in expectations:
        kind = want["kind"]
        if kind == "unchanged":
            assert after == before
        elif kind == "from":
            named.append(("FROM", want["contains"]))
            hits = [
                c for c in commands if c.cmd == "FROM" and want["contains"] in " ".join(c.value)
            ]
            assert hits, want
            for hit in hits:
                assert all(flag in hit.flags for flag in want.get("flags", [])), hit
                assert not (want.get("no_flags") and hit.flags), hit
        elif kind == "instruction":
            named.append((want["cmd"], want.get("value_re", "")))
            hits = [
                c
                for c in commands
                if c.cmd == want["cmd"] and re.search(want.get("value_re", ""), " ".join(c.value))
            ]
            assert len(hits) == want["count"] if "count" in want else hits, want
        elif kind == "run":
            named.append(("RUN", want["contains"]))
            hits = [c for c in commands if c.cmd == "RUN" and want["contains"] in " ".join(c.value)]
            assert hits, want
            for hit in hits:
                text = " ".join(hit.flags) + " " + " ".join(hit.value)
                assert all(re.search(p, text) for p in want.get("present_re", [])), text
                assert all(p in text for p in want.get("present", [])), text
                assert not any(p in text for p in want.get("absent", [])), text
        else:
            raise AssertionError(f"check kind {kind} is not judged here")
    # Instructions no check names survive byte for byte; comments survive.
    originals = [c.original for c in commands]
    for command in dockerfile.parse_string(before):
        joined = " ".join(command.value)
        if any(
            command.cmd == cmd and (not needle or needle in joined or re.search(needle, joined))
            for cmd, needle in named
        ):
            continue
        assert command.original in originals, command.original
    comments = [line.strip() for line in before.splitlines() if line.strip().startswith("#")]
    assert all(comment in after for comment in comments)


def test_acceptance_cases_exist() -> None:
    assert all(Path(CASES / name / "expect.json").is_file() for name in ACCEPTANCE)
