from __future__ import annotations

from dockerfix.diagnostics import Safety
from dockerfix.rules._buildkit import args_token_at, replace_in_token, word_token
from dockerfix.rules.base import Invalid, Rule, Target
from dockerfix.semantics import StageInfo
from dockerfix.syntax import Instruction


class FromAsCasing(Rule):
    """
    ## What it does
    Reports `FROM image as name` where the `AS` keyword is not in the case of the `FROM`
    keyword, and writes it in that case.

    ## Why is this bad?
    Keywords are case-insensitive, but mixing cases on one line reads poorly. This is
    BuildKit's `FromAsCasing` build check, with its trigger: only when `FROM` itself is all
    lower or all upper case (a mixed-case `From` is `ConsistentInstructionCasing`'s business)
    and the word after the image is not in that case.

    ## Example
    ```dockerfile
    FROM debian:latest as builder
    ```

    Use instead:
    ```dockerfile
    FROM debian:latest AS builder
    ```

    ## Fix safety
    Safe: BuildKit matches `AS` case-insensitively; only the letters' case changes.

    ## References
    - https://docs.docker.com/reference/build-checks/from-as-casing/
    - BuildKit: `frontend/dockerfile/instructions/parse.go` (`doesFromCaseMatchAsCase`)
    """

    code = "BK002"
    name = "FromAsCasing"
    fix_safety = Safety.SAFE
    buildkit_check = "FromAsCasing"

    VALID = (
        "FROM debian:latest AS deb-builder\n",
        "from debian:latest as deb-builder\n",
        "From debian AS builder\n",
        "From debian as builder\n",
        "FROM debian\n",
    )
    INVALID = (
        Invalid("FROM debian:latest as builder\n", "FROM debian:latest AS builder\n"),
        Invalid("from debian:latest AS builder\n", "from debian:latest as builder\n"),
        Invalid("FROM debian As builder\r\n", "FROM debian AS builder\r\n"),
        Invalid("FROM --platform=$BUILDPLATFORM golang \\\n    as build\n", "FROM --platform=$BUILDPLATFORM golang \\\n    AS build\n"),
    )  # fmt: skip

    def visit_instruction(self, instruction: Instruction, stage: StageInfo | None) -> None:
        if instruction.name != "FROM":
            return
        args = instruction.buildkit_arguments[0]
        keyword = instruction.keyword
        if len(args) < 3:
            return
        if keyword == keyword.lower():
            expected = args[1].lower()
        elif keyword == keyword.upper():
            expected = args[1].upper()
        else:
            return
        if args[1] == expected:
            return
        message = f"'{args[1]}' and '{keyword}' keywords' casing do not match"
        token = word_token(instruction, 1)
        owner = args_token_at(instruction, token.start) if token is not None else None
        if token is None or owner is None:
            self.report(instruction, message)
            return
        fix: dict[Target, Target] = {
            owner: replace_in_token(owner, token.start, token.end, expected)
        }
        self.report(token, message, fix=fix, title=f"Write `{expected}`")
