from __future__ import annotations

import re
from collections.abc import Callable

from dockerfix.diagnostics import Safety
from dockerfix.rules._buildkit import replace_in_token, word_token
from dockerfix.rules.base import Invalid, Rule, Target
from dockerfix.semantics import StageInfo
from dockerfix.syntax import Dockerfile, Flag, Instruction, Token


class StageNameCasing(Rule):
    """
    ## What it does
    Reports a stage name with upper-case letters (`FROM alpine AS BuilderBase`) and
    lower-cases it, together with every reference to the stage.

    ## Why is this bad?
    BuildKit lower-cases stage names anyway, so `BuilderBase` is really `builderbase`;
    writing names in lower case keeps them apart from instruction keywords and makes the
    references (`COPY --from=`, `FROM <stage>`, `RUN --mount=from=`) read as what they are.
    It is BuildKit's `StageNameCasing` build check: the same trigger (a `FROM` with three
    arguments whose last one is not lower case, checked on the name as written) and message.

    ## Example
    ```dockerfile
    FROM alpine AS BuilderBase
    FROM BuilderBase
    COPY --from=BuilderBase /out /out
    ```

    Use instead:
    ```dockerfile
    FROM alpine AS builderbase
    FROM builderbase
    COPY --from=builderbase /out /out
    ```

    ## Fix safety
    Safe: BuildKit already looks `COPY --from=` and `RUN --mount=from=` names up
    case-insensitively, and `--target` too, so the build does not change. `FROM <Name>` is
    looked up with the case as written, so `FROM BuilderBase` was not a reference to the stage
    (BuildKit read it as an image, an invalid reference): lower-casing it makes it one, as
    the author meant. References whose text cannot be edited in place (a flag cut by a line
    continuation or written with escapes) are left alone, and so are triggers inside
    `ONBUILD`, which name stages of the downstream build.

    ## References
    - https://docs.docker.com/reference/build-checks/stage-name-casing/
    - BuildKit: `frontend/dockerfile/instructions/parse.go` (`isLowerCaseStageName`)
    """

    code = "BK001"
    name = "StageNameCasing"
    fix_safety = Safety.SAFE
    buildkit_check = "StageNameCasing"

    VALID = (
        "FROM alpine AS builder-base\n",
        "from alpine as builder\n",
        "FROM alpine\n",
        "FROM alpine AS builder\nCOPY --from=Builder /a /b\n",
    )
    INVALID = (
        Invalid("FROM alpine AS BuilderBase\n", "FROM alpine AS builderbase\n"),
        Invalid(
            "FROM golang AS Build\nRUN go build -o /app\nFROM Build AS Test\nFROM scratch\nCOPY --from=Build /app /app\n",
            "FROM golang AS build\nRUN go build -o /app\nFROM build AS test\nFROM scratch\nCOPY --from=build /app /app\n",
        ),
        Invalid(
            "FROM node AS Deps\nFROM node\nRUN --mount=type=cache,target=/c --mount=from=Deps,source=/n,target=/n true\n",
            "FROM node AS deps\nFROM node\nRUN --mount=type=cache,target=/c --mount=from=deps,source=/n,target=/n true\n",
        ),
        Invalid('FROM a AS B\r\nCOPY --from="B" x y\r\n', 'FROM a AS b\r\nCOPY --from="b" x y\r\n'),
    )  # fmt: skip

    def visit_instruction(self, instruction: Instruction, stage: StageInfo | None) -> None:
        if instruction.name != "FROM":
            return
        args = instruction.buildkit_arguments[0]
        if len(args) != 3 or args[2] == args[2].lower():
            return
        name = args[2]
        message = f"Stage name '{name}' should be lowercase"
        token = word_token(instruction, 2)
        if token is None or args[1].lower() != "as":
            self.report(token or instruction, message)
            return
        fix = _rename(self.context.tree, instruction, token, name.lower())
        self.report(token, message, fix=fix, title=f"Rename stage '{name}' to '{name.lower()}'")


def _rename(
    tree: Dockerfile, definition: Instruction, name_token: Token, new: str
) -> dict[Target, Target]:
    """Edits renaming the stage at its definition and at every reference."""
    old = name_token.text
    edits: dict[Target, Target] = {}
    tokens = {t.start: t for t in definition.tokens() if t.type == "ARGS"}
    owner = next(t for s, t in tokens.items() if s <= name_token.start < t.end)
    edits[owner] = replace_in_token(owner, name_token.start, name_token.end, new)
    if len(new) != len(old):
        return edits

    def edit(token: Token, start: int, end: int, text: str) -> None:
        current = edits.get(token, token)
        assert isinstance(current, Token)
        # Offsets are on the original token: fine, as a lower-cased name keeps its length.
        edits[token] = Token(
            token.type,
            current.text[: start - token.start] + text + current.text[end - token.start :],
        )

    seen_definition = False
    for instruction in tree.instructions:
        if instruction is definition:
            seen_definition = True
            continue
        if instruction.name == "FROM" and seen_definition:
            base = word_token(instruction, 0)
            if base is not None and base.text.lower() == old.lower() and base.text != new:
                owner = next(t for t in instruction.tokens() if t.start <= base.start < t.end)
                edit(owner, base.start, base.end, new)
        for flag in instruction.flags:
            _rename_flag(instruction, flag, old, new, edit)
    return edits


_MOUNT_FROM = r"(?i)(?<![\w-])(from=)({name})(?![\w.-])"


def _rename_flag(
    instruction: Instruction,
    flag: Flag,
    old: str,
    new: str,
    edit: Callable[[Token, int, int, str], None],
) -> None:
    pieces = [t for t in flag.tokens() if t.type == "FLAG"]
    if len(pieces) != 1:
        return
    (token,) = pieces
    value = flag.value or ""
    if instruction.name == "COPY" and flag.name == "from" and value.lower() == old.lower():
        at = token.text.rfind(value)
        if at > 0 and value != new:
            edit(token, token.start + at, token.start + at + len(value), new)
    elif instruction.name == "RUN" and flag.name == "mount":
        pattern = re.compile(_MOUNT_FROM.format(name=re.escape(old)))
        for match in reversed(list(pattern.finditer(token.text))):
            if match.group(2) != new:
                start = token.start + match.start(2)
                edit(token, start, start + len(match.group(2)), new)
