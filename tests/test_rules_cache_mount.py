# ruff: noqa: E501  (before/after tables stay one example per line: they read like a spec)
"""DF002 CacheMount: before/after tables per package manager, and the shared acceptance cases."""

from __future__ import annotations

import json
import re
from pathlib import Path

import dockerfile
import pytest

from dockerfix.config import Config
from dockerfix.engine import check, fix
from dockerfix.rules.cache_mount import APT_KEEP_DOWNLOADS
from tests.conftest import CASES, read_exact

ONLY = Config(select=("DF002",))

APT = "--mount=type=cache,target=/var/cache/apt,sharing=locked --mount=type=cache,target=/var/lib/apt,sharing=locked"
HOOK = APT_KEEP_DOWNLOADS
PIP = "--mount=type=cache,target=/root/.cache/pip"
GO = "--mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build"
# Mounts go on lines of their own when the RUN spans lines or would grow past 100 columns.
APT_LINES = APT.replace(" --mount", " \\\n    --mount")
GO_LINES = GO.replace(" --mount", " \\\n    --mount")
# ...and so does each command of the apt hook when the RUN spans lines.
HOOK_LINES = HOOK.replace(" && ", " \\\n    && ")


def fixed(source: str, unsafe: bool = False) -> str:
    result = fix(source, ONLY, unsafe=unsafe)
    assert result.converged
    again = fix(result.text, ONLY, unsafe=unsafe)
    assert again.text == result.text, "the fix is not idempotent"
    assert not [d for d in again.remaining if d.fix is not None], (
        "the rule still reports after its fix"
    )
    dockerfile.parse_string(result.text)  # BuildKit's own parser accepts the result
    return result.text


# --- one table per manager (BUILDKIT.md §3.3) --------------------------------------------

APT_CASES = [
    (
        "FROM debian\nRUN apt-get update && apt-get install -y gcc && apt-get clean && rm -rf /var/lib/apt/lists/*\n",
        f"FROM debian\nRUN {APT_LINES} \\\n    {HOOK} && apt-get update && apt-get install -y gcc\n",
    ),
    (  # leading operators: the cleanup line goes, the continuation before it too
        "FROM debian\nRUN apt-get update \\\n    && apt-get install -y curl \\\n    && rm -rf /var/lib/apt/lists/*\n",
        f"FROM debian\nRUN {APT_LINES} \\\n    {HOOK_LINES} \\\n    && apt-get update \\\n    && apt-get install -y curl\n",
    ),
    (  # trailing operators
        "FROM debian\nRUN apt-get update && \\\n    apt-get install -y curl && \\\n    rm -rf /var/lib/apt/lists/*\n",
        f"FROM debian\nRUN {APT_LINES} \\\n    {HOOK_LINES} \\\n    && apt-get update && \\\n    apt-get install -y curl\n",
    ),
    (  # a comment inside the continuation survives; the line after it goes
        "FROM debian\nRUN apt-get update \\\n    && apt-get install -y curl \\\n    # cleanup\n    && rm -rf /var/lib/apt/lists/* \\\n    && echo done\n",
        f"FROM debian\nRUN {APT_LINES} \\\n    {HOOK_LINES} \\\n    && apt-get update \\\n    && apt-get install -y curl \\\n    # cleanup\n    && echo done\n",
    ),
    (  # ...also when the removed command was the last one
        'FROM debian\nRUN apt-get update && \\\n    apt-get install -y curl && \\\n    # cleanup\n    rm -rf /var/lib/apt/lists/*\nCMD ["bash"]\n',
        f'FROM debian\nRUN {APT_LINES} \\\n    {HOOK_LINES} \\\n    && apt-get update && \\\n    apt-get install -y curl\n    # cleanup\nCMD ["bash"]\n',
    ),
    (  # docker-library style: `; \` lines and `\` spacer lines
        "FROM debian\nRUN set -eux; \\\n\tapt-get update; \\\n\tapt-get install -y \\\n\t\tca-certificates \\\n\t; \\\n\trm -rf /var/lib/apt/lists/*\n",
        "FROM debian\nRUN --mount=type=cache,target=/var/cache/apt,sharing=locked \\\n\t--mount=type=cache,target=/var/lib/apt,sharing=locked \\\n\trm -f /etc/apt/apt.conf.d/docker-clean \\\n\t&& echo 'Binary::apt::APT::Keep-Downloaded-Packages \"true\";' > /etc/apt/apt.conf.d/keep-cache \\\n\t&& set -eux; \\\n\tapt-get update; \\\n\tapt-get install -y \\\n\t\tca-certificates\n",
    ),
    (  # only the apt operand of a shared rm goes
        "FROM debian\nRUN apt-get update && apt-get install -y x && rm -rf /var/lib/apt/lists/* /tmp/*\n",
        f"FROM debian\nRUN {APT_LINES} \\\n    {HOOK} && apt-get update && apt-get install -y x && rm -rf /tmp/*\n",
    ),
    (  # an rm before apt (it would empty the lists cache)
        "FROM debian\nRUN rm -rf /var/lib/apt/lists/* && apt-get update\n",
        f"FROM debian\nRUN {APT_LINES} \\\n    {HOOK} && apt-get update\n",
    ),
    (  # the hook once per stage; stages built on it need it no more
        "FROM debian AS base\nRUN apt-get update\nRUN apt-get install -y x\nFROM base\nRUN apt-get install -y y\n",
        f"FROM debian AS base\nRUN {APT_LINES} \\\n    {HOOK} && apt-get update\nRUN {APT_LINES} \\\n    apt-get install -y x\nFROM base\nRUN {APT_LINES} \\\n    apt-get install -y y\n",
    ),
    (  # a stage that already disables docker-clean gets no second hook
        "FROM ubuntu\nRUN rm -f /etc/apt/apt.conf.d/docker-clean\nRUN apt-get update\n",
        f"FROM ubuntu\nRUN rm -f /etc/apt/apt.conf.d/docker-clean\nRUN {APT_LINES} \\\n    apt-get update\n",
    ),
    (  # sudo runs apt as root under a non-root USER
        "FROM ubuntu\nUSER app\nRUN sudo apt-get update\n",
        f"FROM ubuntu\nUSER app\nRUN {APT_LINES} \\\n    {HOOK} && sudo apt-get update\n",
    ),
    (  # an existing mount is kept and not duplicated
        "FROM debian\nRUN --mount=type=cache,target=/var/cache/apt apt-get update\n",
        f"FROM debian\nRUN --mount=type=cache,target=/var/cache/apt --mount=type=cache,target=/var/lib/apt,sharing=locked {HOOK} && apt-get update\n",
    ),
    (  # heredoc body: the hook is its first line (after #!), the cleanup line goes
        "FROM debian\nRUN <<EOF\n#!/bin/bash\nset -e\napt-get update\n# cleanup\nrm -rf /var/lib/apt/lists/*\nEOF\n",
        f"FROM debian\nRUN {APT} <<EOF\n#!/bin/bash\n{HOOK}\nset -e\napt-get update\n# cleanup\nEOF\n",
    ),
    (  # a shell reading the heredoc on stdin
        "FROM debian\nRUN bash -e <<EOF\napt-get update\nEOF\n",
        f"FROM debian\nRUN {APT} bash -e <<EOF\n{HOOK}\napt-get update\nEOF\n",
    ),
    (  # the hook follows the body's indentation
        "FROM debian\nRUN <<-EOF\n\tset -eux\n\tapt-get update\n\trm -rf /var/lib/apt/lists/*\nEOF\n",
        f"FROM debian\nRUN {APT} <<-EOF\n\t{HOOK}\n\tset -eux\n\tapt-get update\nEOF\n",
    ),
    (  # CRLF stays CRLF, in the body too
        "FROM debian\r\nRUN <<EOF\r\napt-get update\r\nrm -rf /var/lib/apt/lists/*\r\nEOF\r\n",
        f"FROM debian\r\nRUN {APT} <<EOF\r\n{HOOK}\r\napt-get update\r\nEOF\r\n",
    ),
]

OS_CASES = [
    (
        "FROM alpine:3.20\nRUN apk add --no-cache curl && rm -rf /var/cache/apk/*\n",
        "FROM alpine:3.20\nRUN --mount=type=cache,target=/etc/apk/cache apk add --update-cache curl\n",
    ),
    (  # --no-cache goes when the index is refreshed anyway
        "FROM alpine\nRUN apk add -U --no-cache curl\n",
        "FROM alpine\nRUN --mount=type=cache,target=/etc/apk/cache apk add -U curl\n",
    ),
    (
        "FROM fedora:40\nRUN dnf install -y gcc && dnf clean all\n",
        "FROM fedora:40\nRUN --mount=type=cache,target=/var/cache/dnf,sharing=locked \\\n    dnf install --setopt=keepcache=True -y gcc\n",
    ),
    (  # dnf is dnf5 from Fedora 41
        "FROM fedora:41\nRUN dnf -y install gcc\n",
        "FROM fedora:41\nRUN --mount=type=cache,target=/var/cache/libdnf5,sharing=locked \\\n    dnf -y install --setopt=keepcache=True gcc\n",
    ),
    (
        "FROM centos:7\nRUN yum install -y gcc && yum clean all\n",
        "FROM centos:7\nRUN --mount=type=cache,target=/var/cache/yum,sharing=locked \\\n    yum install --setopt=keepcache=True -y gcc\n",
    ),
    (  # yum of EL8+ is dnf
        "FROM rockylinux:9\nRUN yum install -y gcc\n",
        "FROM rockylinux:9\nRUN --mount=type=cache,target=/var/cache/dnf,sharing=locked \\\n    yum install --setopt=keepcache=True -y gcc\n",
    ),
    (
        "FROM registry.access.redhat.com/ubi9/ubi-minimal\nRUN microdnf install -y gcc && microdnf clean all\n",
        "FROM registry.access.redhat.com/ubi9/ubi-minimal\nRUN --mount=type=cache,target=/var/cache/yum,sharing=locked microdnf install -y gcc\n",
    ),
    (
        "FROM opensuse/leap\nRUN zypper --non-interactive install gcc && zypper clean -a\n",
        "FROM opensuse/leap\nRUN --mount=type=cache,target=/var/cache/zypp,sharing=locked zypper --non-interactive install gcc\n",
    ),
]

JS_CASES = [
    (
        "FROM node:20\nRUN npm ci && npm cache clean --force\n",
        "FROM node:20\nRUN --mount=type=cache,target=/root/.npm npm ci\n",
    ),
    (  # npm_config_cache relocates it
        "FROM node:20\nENV npm_config_cache=/var/cache/npm\nRUN npm ci\n",
        "FROM node:20\nENV npm_config_cache=/var/cache/npm\nRUN --mount=type=cache,target=/var/cache/npm npm ci\n",
    ),
    (  # the node image's user: its home, and uid/gid on the mount
        "FROM node:20\nUSER node\nRUN npm ci\n",
        "FROM node:20\nUSER node\nRUN --mount=type=cache,target=/home/node/.npm,uid=1000,gid=1000 npm ci\n",
    ),
    (  # Yarn 1 as root caches under /usr/local/share
        "FROM node:20\nRUN yarn install --frozen-lockfile && yarn cache clean\n",
        "FROM node:20\nRUN --mount=type=cache,target=/usr/local/share/.cache/yarn yarn install --frozen-lockfile\n",
    ),
    (  # ...and under ~/.cache/yarn for another user
        "FROM node:20\nUSER node\nRUN yarn\n",
        "FROM node:20\nUSER node\nRUN --mount=type=cache,target=/home/node/.cache/yarn,uid=1000,gid=1000 yarn\n",
    ),
    (
        "FROM node:20\nENV YARN_CACHE_FOLDER=/yarn-cache\nRUN yarn install\n",
        "FROM node:20\nENV YARN_CACHE_FOLDER=/yarn-cache\nRUN --mount=type=cache,target=/yarn-cache yarn install\n",
    ),
    (  # Yarn Berry: the global cache
        "FROM node:20\nCOPY .yarnrc.yml package.json yarn.lock ./\nRUN yarn install --immutable\n",
        "FROM node:20\nCOPY .yarnrc.yml package.json yarn.lock ./\nRUN --mount=type=cache,target=/root/.yarn/berry/cache yarn install --immutable\n",
    ),
    (
        "FROM node:20\nENV PNPM_HOME=/pnpm\nRUN pnpm install --frozen-lockfile && pnpm store prune\n",
        "FROM node:20\nENV PNPM_HOME=/pnpm\nRUN --mount=type=cache,target=/pnpm/store pnpm install --frozen-lockfile\n",
    ),
    (
        "FROM node:20\nRUN pnpm install\n",
        "FROM node:20\nRUN --mount=type=cache,target=/root/.local/share/pnpm/store pnpm install\n",
    ),
]

PYTHON_CASES = [
    (
        "FROM python:3.12\nRUN pip install --no-cache-dir -r requirements.txt\n",
        f"FROM python:3.12\nRUN {PIP} pip install -r requirements.txt\n",
    ),
    (  # python -m pip, pip3.12, sh -c, an rm of the cache
        "FROM python:3.12\nRUN python3 -m pip install --no-cache-dir -U pip && sh -c 'pip3.12 install x && rm -rf /root/.cache/pip'\n",
        f"FROM python:3.12\nRUN {PIP} \\\n    python3 -m pip install -U pip && sh -c 'pip3.12 install x'\n",
    ),
    (  # a flag alone on its line: the line goes
        "FROM python:3.12\nRUN pip install \\\n    --no-cache-dir \\\n    -r requirements.txt\n",
        f"FROM python:3.12\nRUN {PIP} \\\n    pip install \\\n    -r requirements.txt\n",
    ),
    (  # ...also on the last line
        "FROM python:3.12\nRUN pip install -r requirements.txt \\\n    --no-cache-dir\n",
        f"FROM python:3.12\nRUN {PIP} pip install -r requirements.txt\n",
    ),
    (  # a no-cache variable on the command goes
        "FROM python:3.12\nRUN PIP_NO_CACHE_DIR=1 pip install flask\n",
        f"FROM python:3.12\nRUN {PIP} pip install flask\n",
    ),
    (  # ENV, ARG and command-line locations
        "FROM python:3.12\nENV PIP_CACHE_DIR=/var/cache/pip\nRUN pip install flask\n",
        "FROM python:3.12\nENV PIP_CACHE_DIR=/var/cache/pip\nRUN --mount=type=cache,target=/var/cache/pip pip install flask\n",
    ),
    (
        "FROM python:3.12\nARG XDG_CACHE_HOME=/xdg\nRUN pip install flask\n",
        "FROM python:3.12\nARG XDG_CACHE_HOME=/xdg\nRUN --mount=type=cache,target=/xdg/pip pip install flask\n",
    ),
    (
        "FROM python:3.12\nRUN pip install --cache-dir=/pc flask\n",
        "FROM python:3.12\nRUN --mount=type=cache,target=/pc pip install --cache-dir=/pc flask\n",
    ),
    (  # a numeric USER with a HOME
        "FROM python:3.12\nUSER 1000:1000\nENV HOME=/home/app\nRUN pip install --user flask\n",
        "FROM python:3.12\nUSER 1000:1000\nENV HOME=/home/app\nRUN --mount=type=cache,target=/home/app/.cache/pip,uid=1000,gid=1000 pip install --user flask\n",
    ),
    (  # an rm of a parent of the cache would empty it, then fail on the mount point
        "FROM python:3.12\nRUN pip install flask && rm -rf ~/.cache\n",
        f"FROM python:3.12\nRUN {PIP} pip install flask\n",
    ),
    (
        "FROM python:3.12\nRUN uv pip install --system --no-cache -r req.txt && uv cache clean\n",
        "FROM python:3.12\nRUN --mount=type=cache,target=/root/.cache/uv uv pip install --system -r req.txt\n",
    ),
    (
        "FROM python:3.12\nENV UV_CACHE_DIR=/uv\nRUN uv sync --locked\n",
        "FROM python:3.12\nENV UV_CACHE_DIR=/uv\nRUN --mount=type=cache,target=/uv uv sync --locked\n",
    ),
    (  # Poetry, once its virtualenvs are out of the cache
        "FROM python:3.12\nENV POETRY_VIRTUALENVS_IN_PROJECT=true\nRUN poetry install --no-cache && poetry cache clear --all pypi\n",
        "FROM python:3.12\nENV POETRY_VIRTUALENVS_IN_PROJECT=true\nRUN --mount=type=cache,target=/root/.cache/pypoetry poetry install\n",
    ),
    (
        "FROM python:3.12\nRUN poetry config virtualenvs.create false && poetry install\n",
        "FROM python:3.12\nRUN --mount=type=cache,target=/root/.cache/pypoetry \\\n    poetry config virtualenvs.create false && poetry install\n",
    ),
    (  # Pipenv: its cache and pip's
        "FROM python:3.12\nRUN pipenv install --system --deploy && pipenv --clear\n",
        f"FROM python:3.12\nRUN --mount=type=cache,target=/root/.cache/pipenv \\\n    {PIP} \\\n    pipenv install --system --deploy\n",
    ),
    (
        "FROM continuumio/miniconda3\nRUN conda install -y numpy && conda clean -afy\n",
        "FROM continuumio/miniconda3\nRUN --mount=type=cache,target=/opt/conda/pkgs,sharing=locked conda install -y numpy\n",
    ),
    (  # micromamba's image runs as mambauser
        "FROM mambaorg/micromamba:1.5\nRUN micromamba install -y -n base numpy && micromamba clean --all --yes\n",
        "FROM mambaorg/micromamba:1.5\nRUN --mount=type=cache,target=/opt/conda/pkgs,sharing=locked,uid=57439,gid=57439 \\\n    micromamba install -y -n base numpy\n",
    ),
    (  # the prefix read from the program's path
        "FROM ubuntu\nRUN /opt/miniforge/bin/mamba create -y -n app python\n",
        "FROM ubuntu\nRUN --mount=type=cache,target=/opt/miniforge/pkgs,sharing=locked \\\n    /opt/miniforge/bin/mamba create -y -n app python\n",
    ),
]

COMPILED_CASES = [
    (  # env-prefixed command; `go clean -modcache` goes
        "FROM golang:1.22\nWORKDIR /src\nRUN go mod download && CGO_ENABLED=0 go build -o /bin/app . && go clean -modcache\n",
        f"FROM golang:1.22\nWORKDIR /src\nRUN {GO_LINES} \\\n    go mod download && CGO_ENABLED=0 go build -o /bin/app .\n",
    ),
    (  # go mod download needs the module cache only
        "FROM golang:1.22\nRUN go mod download\n",
        "FROM golang:1.22\nRUN --mount=type=cache,target=/go/pkg/mod go mod download\n",
    ),
    (
        "FROM golang:1.22\nENV GOMODCACHE=/cache/mod GOCACHE=/cache/build\nRUN env GOOS=linux go install ./cmd/x\n",
        "FROM golang:1.22\nENV GOMODCACHE=/cache/mod GOCACHE=/cache/build\nRUN --mount=type=cache,target=/cache/mod \\\n    --mount=type=cache,target=/cache/build \\\n    env GOOS=linux go install ./cmd/x\n",
    ),
    (  # without the golang image, GOPATH defaults to ~/go
        "FROM ubuntu\nRUN go build ./...\n",
        "FROM ubuntu\nRUN --mount=type=cache,target=/root/go/pkg/mod \\\n    --mount=type=cache,target=/root/.cache/go-build \\\n    go build ./...\n",
    ),
    (  # Cargo: registry and git db; no target/ without a copy out
        "FROM rust:1.80\nWORKDIR /app\nRUN cargo build --release\n",
        "FROM rust:1.80\nWORKDIR /app\nRUN --mount=type=cache,target=/usr/local/cargo/registry \\\n    --mount=type=cache,target=/usr/local/cargo/git/db \\\n    cargo build --release\n",
    ),
    (  # target/ when the RUN copies the binary out; `cargo clean` goes with it
        "FROM rust:1.80\nWORKDIR /app\nRUN cargo build --release && cp target/release/app /usr/local/bin/ && cargo clean\n",
        "FROM rust:1.80\nWORKDIR /app\nRUN --mount=type=cache,target=/usr/local/cargo/registry \\\n    --mount=type=cache,target=/usr/local/cargo/git/db \\\n    --mount=type=cache,target=/app/target,sharing=locked \\\n    cargo build --release && cp target/release/app /usr/local/bin/\n",
    ),
    (
        "FROM ubuntu\nRUN cargo install ripgrep\n",
        "FROM ubuntu\nRUN --mount=type=cache,target=/root/.cargo/registry \\\n    --mount=type=cache,target=/root/.cargo/git/db \\\n    cargo install ripgrep\n",
    ),
    (
        "FROM maven:3\nRUN mvn -B package\n",
        "FROM maven:3\nRUN --mount=type=cache,target=/root/.m2 mvn -B package\n",
    ),
    (  # settings copied into ~/.m2 stay visible: only the repository is mounted
        "FROM maven:3\nCOPY settings.xml /root/.m2/\nRUN ./mvnw -B package\n",
        "FROM maven:3\nCOPY settings.xml /root/.m2/\nRUN --mount=type=cache,target=/root/.m2/repository ./mvnw -B package\n",
    ),
    (
        "FROM maven:3\nRUN mvn -Dmaven.repo.local=/repo package\n",
        "FROM maven:3\nRUN --mount=type=cache,target=/repo mvn -Dmaven.repo.local=/repo package\n",
    ),
    (
        "FROM eclipse-temurin:21\nRUN ./gradlew build --no-daemon\n",
        "FROM eclipse-temurin:21\nRUN --mount=type=cache,target=/root/.gradle/caches,sharing=locked \\\n    --mount=type=cache,target=/root/.gradle/wrapper,sharing=locked \\\n    ./gradlew build --no-daemon\n",
    ),
    (
        "FROM sbtscala/scala-sbt:eclipse-temurin-21\nRUN sbt compile\n",
        "FROM sbtscala/scala-sbt:eclipse-temurin-21\nRUN --mount=type=cache,target=/root/.cache/coursier \\\n    --mount=type=cache,target=/root/.sbt \\\n    --mount=type=cache,target=/root/.ivy2 \\\n    sbt compile\n",
    ),
    (  # Bundler's user cache, with the global gem cache on (never GEM_HOME)
        "FROM ruby:3.3\nRUN bundle install\n",
        "FROM ruby:3.3\nRUN --mount=type=cache,target=/root/.bundle/cache BUNDLE_GLOBAL_GEM_CACHE=true bundle install\n",
    ),
    (  # the composer image sets COMPOSER_HOME=/tmp
        "FROM composer:2\nRUN composer install --no-dev --no-cache && composer clear-cache\n",
        "FROM composer:2\nRUN --mount=type=cache,target=/tmp/cache composer install --no-dev\n",
    ),
    (  # elsewhere the location is pinned on the command
        "FROM php:8.3\nRUN php composer.phar install\n",
        "FROM php:8.3\nRUN --mount=type=cache,target=/root/.cache/composer \\\n    COMPOSER_CACHE_DIR=/root/.cache/composer php composer.phar install\n",
    ),
    (
        "FROM mcr.microsoft.com/dotnet/sdk:8.0\nRUN dotnet restore && dotnet publish -c Release && dotnet nuget locals all --clear\n",
        "FROM mcr.microsoft.com/dotnet/sdk:8.0\nRUN --mount=type=cache,target=/root/.nuget/packages dotnet restore && dotnet publish -c Release\n",
    ),
    (
        'FROM gcc\nENV CCACHE_DIR=/ccache\nRUN CC="ccache gcc" make -j8 && ccache -C\n',
        'FROM gcc\nENV CCACHE_DIR=/ccache\nRUN --mount=type=cache,target=/ccache CC="ccache gcc" make -j8\n',
    ),
    (
        "FROM ubuntu\nRUN cmake -DCMAKE_C_COMPILER_LAUNCHER=ccache -B build && cmake --build build\n",
        "FROM ubuntu\nRUN --mount=type=cache,target=/root/.cache/ccache \\\n    cmake -DCMAKE_C_COMPILER_LAUNCHER=ccache -B build && cmake --build build\n",
    ),
    (
        "FROM ubuntu\nENV RUSTC_WRAPPER=sccache SCCACHE_DIR=/sccache CARGO_HOME=/cargo\nRUN cargo build\n",
        "FROM ubuntu\nENV RUSTC_WRAPPER=sccache SCCACHE_DIR=/sccache CARGO_HOME=/cargo\nRUN --mount=type=cache,target=/cargo/registry \\\n    --mount=type=cache,target=/cargo/git/db \\\n    --mount=type=cache,target=/sccache,sharing=locked \\\n    cargo build\n",
    ),
]

LAYOUT_CASES = [
    (  # flags one per line: new ones follow on their own lines
        "FROM python:3.12\nRUN --mount=type=secret,id=tok \\\n    --mount=type=bind,target=/src \\\n    pip install /src\n",
        f"FROM python:3.12\nRUN --mount=type=secret,id=tok \\\n    --mount=type=bind,target=/src \\\n    {PIP} \\\n    pip install /src\n",
    ),
    (  # the backtick escape
        "# escape=`\nFROM python:3.12\nRUN pip install `\n    --no-cache-dir `\n    flask\n",
        f"# escape=`\nFROM python:3.12\nRUN {PIP} `\n    pip install `\n    flask\n",
    ),
    (
        "FROM python:3.12\r\nRUN pip install \\\r\n    --no-cache-dir \\\r\n    flask\r\n",
        f"FROM python:3.12\r\nRUN {PIP} \\\r\n    pip install \\\r\n    flask\r\n",
    ),
    (  # a RUN that starts with a continuation
        "FROM python:3.12\nRUN \\\n    pip install flask\n",
        f"FROM python:3.12\nRUN {PIP} \\\n    pip install flask\n",
    ),
    (  # two managers, one RUN
        "FROM debian\nRUN apt-get update && apt-get install -y python3-pip && pip3 install --break-system-packages x\n",
        f"FROM debian\nRUN {APT_LINES} \\\n    {PIP} \\\n    {HOOK} && apt-get update && apt-get install -y python3-pip && pip3 install --break-system-packages x\n",
    ),
    (  # inside if/then: the flag goes, the structure stays
        "FROM python:3.12\nRUN if [ -f req.txt ]; then pip install --no-cache-dir -r req.txt; fi\n",
        f"FROM python:3.12\nRUN {PIP} if [ -f req.txt ]; then pip install -r req.txt; fi\n",
    ),
]


@pytest.mark.parametrize(
    ("source", "expected"),
    APT_CASES + OS_CASES + JS_CASES + PYTHON_CASES + COMPILED_CASES + LAYOUT_CASES,
)
def test_fix(source: str, expected: str) -> None:
    assert fixed(source) == expected


# --- left alone, or reported without a fix -----------------------------------------------

UNTOUCHED = [
    # (source, a part of the message, or None: no diagnostic at all)
    ("FROM node:20\nRUN --mount=type=cache,target=/root/.npm npm ci\n", None),
    ("FROM python:3.12\nRUN --mount=type=cache,target=/root/.cache pip install flask\n", None),
    (
        "FROM python:3.12\nRUN --mount=type=cache,target=/root/.cache/pip,id=pip pip install --no-cache-dir x\n",
        None,
    ),
    ("FROM alpine\nRUN make -C /src\n", None),
    ("FROM node:20\nRUN npm run build && yarn --version\n", None),
    ("FROM debian\nRUN apt-get clean\n", None),
    ('FROM python:3.12\nRUN ["pip", "install", "flask"]\n', None),
    ("FROM debian\nONBUILD RUN apt-get update\n", None),
    ("FROM mcr.microsoft.com/windows/servercore:ltsc2022\nRUN pip install flask\n", None),
    ('FROM python:3.12\nSHELL ["pwsh", "-Command"]\nRUN pip install flask\n', None),
    ("FROM debian\nRUN cat > /notes <<EOF\napt-get install -y curl\nEOF\n", None),
    ("FROM debian\nRUN <<EOF\n#!/usr/bin/env python3\nprint('apt-get install x')\nEOF\n", None),
    (
        "FROM node:20\nENV YARN_ENABLE_GLOBAL_CACHE=false\nCOPY .yarnrc.yml ./\nRUN yarn install\n",
        None,
    ),
    ("FROM python:3.12\nUSER app\nRUN pip install flask\n", "the uid of USER app is unknown"),
    ("FROM golang:1.22\nUSER 1000\nRUN go build ./...\n", "the home of USER 1000 is unknown"),
    ("FROM debian\nUSER app\nRUN apt-get update\n", "apt needs root"),
    (
        "FROM python:3.12\nENV PIP_NO_CACHE_DIR=1\nRUN pip install flask\n",
        "PIP_NO_CACHE_DIR is set in the ENV",
    ),
    ("FROM python:3.12\nRUN poetry install\n", "Poetry keeps its virtualenvs inside its cache"),
    (
        "FROM ruby:3.3\nENV BUNDLE_USER_CACHE=/usr/local/bundle/cache\nRUN bundle install\n",
        "overlaps GEM_HOME",
    ),
    (
        "FROM node:20\nENV npm_config_cache=/app/node_modules/.npm\nRUN npm ci\n",
        "not a cache directory",
    ),
    (
        "FROM python:3.12\nWORKDIR /cache\nENV PIP_CACHE_DIR=/cache\nRUN pip install x\n",
        "would hide the WORKDIR",
    ),
    (
        "FROM python:3.12\nCOPY req.txt /pc/\nRUN pip install --cache-dir /pc -r /pc/req.txt\n",
        "would hide what COPY puts in /pc",
    ),
    (
        "FROM python:3.12\nRUN pip install flask && rm -rf /root/*\n",
        "would empty the cache mount at /root/.cache/pip",
    ),
    (
        "FROM debian\nRUN apt-get update && (rm -rf /var/lib/apt/lists/*)\n",
        "cannot be removed cleanly",
    ),
    ("FROM ubuntu\nRUN conda install -y numpy\n", "conda's package directory is unknown"),
]


@pytest.mark.parametrize(("source", "message"), UNTOUCHED)
def test_untouched(source: str, message: str | None) -> None:
    diagnostics = check(source, ONLY)
    if message is None:
        assert diagnostics == []
    else:
        assert len(diagnostics) == 1
        assert message in diagnostics[0].message
        assert diagnostics[0].fix is None
    assert fix(source, ONLY, unsafe=True).text == source


UNSAFE = [
    (  # the publish RUN reads the packages the restore RUN puts in the cache
        "FROM mcr.microsoft.com/dotnet/sdk:8.0\nRUN dotnet restore\nRUN dotnet publish --no-restore\n",
        "FROM mcr.microsoft.com/dotnet/sdk:8.0\nRUN --mount=type=cache,target=/root/.nuget/packages dotnet restore\n"
        "RUN --mount=type=cache,target=/root/.nuget/packages dotnet publish --no-restore\n",
    ),
    (
        "FROM node:20\nRUN pnpm fetch\nRUN pnpm install --offline\n",
        "FROM node:20\nRUN --mount=type=cache,target=/root/.local/share/pnpm/store pnpm fetch\n"
        "RUN --mount=type=cache,target=/root/.local/share/pnpm/store pnpm install --offline\n",
    ),
]


@pytest.mark.parametrize(("source", "expected"), UNSAFE)
def test_unsafe_fix(source: str, expected: str) -> None:
    assert fix(source, ONLY).text == source
    assert "fix unsafe" in check(source, ONLY)[0].message
    assert fixed(source, unsafe=True) == expected


def test_message_and_title() -> None:
    source = "FROM debian\nRUN apt-get update && apt-get install -y gcc\n"
    (diagnostic,) = check(source, ONLY)
    assert diagnostic.message == (
        "apt-get install without a cache mount: downloaded packages are fetched again on every build"
    )
    assert diagnostic.fix is not None
    assert diagnostic.fix.title == "Add cache mounts for apt (/var/cache/apt, /var/lib/apt)"


def test_edits_stay_inside_the_instruction() -> None:
    source = 'FROM python:3.12\n# deps\nRUN pip install --no-cache-dir x\nCMD ["x"]\n'
    (diagnostic,) = check(source, ONLY)
    assert diagnostic.fix is not None
    start = source.index("RUN")
    end = source.index("CMD")
    assert all(start <= e.start and e.end <= end for e in diagnostic.fix.edits)


# --- the shared acceptance cases, with every rule on ---------------------------------------

SHARED = [
    "apt-get-install",
    "yarn-classic",
    "npm-ci",
    "pip-no-cache-dir",
    "go-mod-and-build",
    "two-managers-one-run",
    "heredoc-run",
    "comments-inside-continuation",
    "crlf-line-endings",
    "no-package-manager",
    "already-modern",
]


def _mounts(command: object) -> list[dict[str, str]]:
    """verify_cases.py's reading of a RUN's mounts."""
    found = []
    for flag in command.flags:  # type: ignore[attr-defined]
        if not flag.startswith("--mount="):
            continue
        options = {}
        for part in flag[len("--mount=") :].split(","):
            key, equals, value = part.partition("=")
            key = {"dst": "target", "destination": "target"}.get(key, key)
            options[key] = value if equals else "true"
        options.setdefault("type", "bind")
        found.append(options)
    return found


def _matches(want: dict[str, object], have: dict[str, str]) -> bool:
    return all(have.get(k) in (v if isinstance(v, list) else [v]) for k, v in want.items())


@pytest.mark.parametrize("name", SHARED)
def test_shared_case(name: str) -> None:
    folder = CASES / name
    spec = json.loads((folder / "expect.json").read_text())
    original = read_exact(folder / "Dockerfile")
    result = fix(original)
    text = result.text
    assert fix(text).text == text, "not idempotent"
    commands = dockerfile.parse_string(text.removeprefix("\ufeff"))
    for want in spec["expect"]:
        kind = want["kind"]
        if kind == "unchanged":
            assert text == original
        elif kind == "run":
            hits = [c for c in commands if c.cmd == "RUN" and want["contains"] in " ".join(c.value)]
            assert hits, f"no RUN containing {want['contains']!r}"
            for hit in hits:
                joined = " ".join(hit.flags) + " " + " ".join(hit.value)
                for mount in want.get("mounts", []):
                    assert any(_matches(mount, m) for m in _mounts(hit)), (mount, _mounts(hit))
                for bad in want.get("absent", []):
                    assert bad not in joined
                for good in want.get("present", []):
                    assert good in joined
                for good in want.get("present_re", []):
                    assert re.search(good, joined)
                if "no_mount_type" in want:
                    assert all(m["type"] != want["no_mount_type"] for m in _mounts(hit))
                if want.get("mount_count") is not None:
                    assert len(_mounts(hit)) == want["mount_count"]
        elif kind == "text_present":
            assert re.search(want["re"], text, re.M)
        elif kind == "text_absent":
            assert not re.search(want["re"], text, re.M)
        elif kind == "line_endings":
            assert want["value"] == "crlf"
            assert text.count("\n") == text.count("\r\n")
    kept = {line.strip() for line in text.splitlines()}
    for line in original.splitlines():
        if line.strip().startswith("#") and not re.match(
            r"#\s*(syntax|escape|check)\s*=", line.strip()
        ):
            assert line.strip() in kept, f"comment lost: {line!r}"


def test_shared_cases_exist() -> None:
    assert all((CASES / name / "expect.json").is_file() for name in SHARED)


def test_rule_runs_on_every_shared_dockerfile(shared_texts: dict[str, str]) -> None:
    """Never crashes; every fix parses with BuildKit, keeps comments and is idempotent."""
    for path, text in shared_texts.items():
        try:
            result = fix(text, ONLY)
        except Exception as error:  # a ParseError on a negative fixture is fine
            assert "negative" in path, (path, error)
            continue
        if result.changed:
            dockerfile.parse_string(result.text.removeprefix("\ufeff"))
            assert fix(result.text, ONLY).text == result.text, path
            kept = {line.strip() for line in result.text.splitlines()}
            comments = [ln.strip() for ln in text.splitlines() if ln.strip().startswith("#")]
            assert all(c in kept for c in comments), path


def test_fixture_dir_is_shared() -> None:
    assert Path(CASES).is_dir()
