from __future__ import annotations

from dockerfix.conventions import Conventions
from dockerfix.diagnostics import Safety
from dockerfix.expansion import AUTOMATIC_ARGS, scan_word
from dockerfix.rules._buildkit import find_reference, global_args, reference_pattern, suggest
from dockerfix.rules.base import Invalid, Rule, Target
from dockerfix.syntax import Comment, Dockerfile, Instruction, Node, Token


class UndefinedArgInFrom(Rule):
    """
    ## What it does
    Reports a variable used in a `FROM` line (image or `--platform`) that is neither a
    global `ARG` (declared before the first `FROM`) nor one of BuildKit's automatic platform
    args (`BUILDPLATFORM`, `TARGETARCH`...), with a "did you mean" for a close name.

    ## Why is this bad?
    `FROM` only sees global ARGs: an undeclared variable (often a typo such as
    `$TARGETARH`, or an `ARG` declared inside a stage) expands to nothing and silently picks
    another image. This is BuildKit's `UndefinedArgInFrom` build check, with the same
    expansion rules (`${X:-default}` still counts as a use of `X`) and suggestion search
    (edit distance below 3). When several names are equally close, BuildKit's pick is random;
    here the first declared ARG wins, then the automatic args in BuildKit's order.

    ## Example
    ```dockerfile
    FROM node:22${VARIANT} AS jsbuilder
    ```

    Use instead:
    ```dockerfile
    ARG VARIANT="-alpine3.20"
    FROM node:22${VARIANT} AS jsbuilder
    ```

    ## Fix safety
    With a suggestion, the fix writes the suggested name; it is unsafe, since the image
    changes (that is the point). Without one, the fix declares `ARG NAME` (no default)
    after the last global ARG, or above the first `FROM` and its comment block: safe, the
    expansion stays what it was (empty unless a `--build-arg` sets it) and the variable
    becomes a documented build argument. Choosing a default is left to the author.

    ## References
    - https://docs.docker.com/reference/build-checks/undefined-arg-in-from/
    - BuildKit: `frontend/dockerfile/dockerfile2llb/convert.go` (`buildDispatchStates`),
      `validations.go` (`reportUnusedFromArgs`)
    """

    code = "BK009"
    name = "UndefinedArgInFrom"
    fix_safety = Safety.SAFE
    buildkit_check = "UndefinedArgInFrom"

    VALID = (
        'ARG VARIANT="-alpine3.20"\nFROM node:22${VARIANT} AS jsbuilder\n',
        "ARG TAG\nFROM alpine:${TAG:-3.20}\n",
        "FROM --platform=$BUILDPLATFORM golang AS build\nFROM alpine:$TARGETARCH\n",
    )
    INVALID = (
        Invalid("FROM node:22${VARIANT} AS jsbuilder\n", "ARG VARIANT\nFROM node:22${VARIANT} AS jsbuilder\n"),
        Invalid(
            "# syntax=docker/dockerfile:1\nARG ALPINE=3.20\n# the base\nFROM alpine:$TAG\n",
            "# syntax=docker/dockerfile:1\nARG ALPINE=3.20\nARG TAG\n# the base\nFROM alpine:$TAG\n",
        ),
        Invalid("# base image\nfrom alpine:$TAG\r\n", "arg TAG\r\n# base image\nfrom alpine:$TAG\r\n"),
        Invalid(
            "FROM --platform=$BUILDPLATFROM golang\n",
            "FROM --platform=$BUILDPLATFORM golang\n",
            unsafe=True,
        ),
        Invalid("ARG VERSION=1\nFROM alpine:${VERSON}\n", "ARG VERSION=1\nFROM alpine:${VERSION}\n", unsafe=True),
    )  # fmt: skip

    def visit_dockerfile(self, tree: Dockerfile) -> None:
        meta = global_args(tree)
        declared = set(meta.keys)
        options = list(dict.fromkeys([*meta.declared, *AUTOMATIC_ARGS]))
        for stage in tree.stages:
            instruction = stage.from_instruction
            words = [stage.base_image]
            if stage.platform is not None:
                words.append(stage.platform)
            for word in words:
                expansion = scan_word(word, meta.env, tree.escape)
                for name in expansion.unmatched:
                    if name not in declared:
                        self._report(tree, instruction, name, suggest(name, options))

    def _report(self, tree: Dockerfile, instruction: Instruction, name: str, hint: str) -> None:
        message = f"FROM argument '{name}' is not declared"
        if hint:
            message += f" (did you mean {hint}?)"
        node: Node | Token = find_reference(instruction, name) or instruction
        if hint:
            fix = _rename(instruction, name, hint)
            self.report(node, message, fix=fix or None, title=f"Use ${hint}", safety=Safety.UNSAFE)
            return
        self.report(node, message, fix=_declare(tree, name), title=f"Declare `ARG {name}`")


def _rename(instruction: Instruction, name: str, new: str) -> dict[Target, Target]:
    pattern = reference_pattern(name)
    edits: dict[Target, Target] = {}
    for token in instruction.tokens():
        if token.type in ("ARGS", "FLAG") and pattern.search(token.text):
            text = pattern.sub(lambda m: m.group().replace(name, new, 1), token.text)
            edits[token] = Token(token.type, text)
    return edits


def _declare(tree: Dockerfile, name: str) -> dict[Target, Target]:
    conventions = Conventions.of(tree)
    children = list(tree.children)
    instructions = [i for i, c in enumerate(children) if isinstance(c, Instruction)]
    first_from = next(i for i in instructions if getattr(children[i], "name", "") == "FROM")
    global_args = [i for i in instructions if i < first_from]
    if global_args:
        at = global_args[-1] + 1
    else:
        at = first_from
        while at > 0 and isinstance(children[at - 1], Comment):
            at -= 1
    arg = conventions.instruction_line(f"{conventions.keyword('ARG')} {name}")
    children[at:at] = [arg]
    return {tree: tree.with_changes(children=tuple(children))}
