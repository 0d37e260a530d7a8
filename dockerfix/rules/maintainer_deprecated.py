from __future__ import annotations

from dockerfix.conventions import Conventions
from dockerfix.diagnostics import Safety
from dockerfix.rules.base import Invalid, Rule
from dockerfix.semantics import StageInfo, assignments
from dockerfix.syntax import Comment, Instruction, Keyword, buildkit

AUTHORS = "org.opencontainers.image.authors"


def label_value(value: str, escape: str) -> str:
    """`value` as a double-quoted LABEL value that BuildKit reads back verbatim.

    Inside double quotes BuildKit's word processing gives meaning to `"`, `$` and the
    escape character only (`shell/lex.go`, processDoubleQuote), so those are escaped with
    the file's escape character.
    """
    return '"' + "".join(escape + ch if ch in ('"', "$", escape) else ch for ch in value) + '"'


class MaintainerDeprecated(Rule):
    """
    ## What it does
    Reports the deprecated `MAINTAINER` instruction and replaces it with the
    `org.opencontainers.image.authors` label.

    ## Why is this bad?
    `MAINTAINER` is deprecated; image metadata belongs in labels, and the OCI annotation
    `org.opencontainers.image.authors` is the one tools read. This is BuildKit's
    `MaintainerDeprecated` build check (every `MAINTAINER`).

    ## Example
    ```dockerfile
    MAINTAINER moby@example.com
    ```

    Use instead:
    ```dockerfile
    LABEL org.opencontainers.image.authors="moby@example.com"
    ```

    ## Fix safety
    Safe: the value is kept byte for byte. `MAINTAINER` takes its text verbatim while a
    `LABEL` value is expanded, so the value is double-quoted with `"`, `$` and the escape
    character escaped (`LABEL … "a \\"b\\" \\$HOME"`). The keyword keeps the case of
    `MAINTAINER`. Note the image's legacy `Author` field is no longer set, only the label.
    No fix when the stage already sets the label (the two values would compete), or when
    comment lines sit inside the instruction.

    ## References
    - https://docs.docker.com/reference/build-checks/maintainer-deprecated/
    - https://github.com/opencontainers/image-spec/blob/main/annotations.md
    - BuildKit: `frontend/dockerfile/instructions/parse.go` (`RuleMaintainerDeprecated`)
    """

    code = "BK008"
    name = "MaintainerDeprecated"
    fix_safety = Safety.SAFE
    buildkit_check = "MaintainerDeprecated"

    VALID = ('FROM alpine\nLABEL org.opencontainers.image.authors="moby@example.com"\n',)
    INVALID = (
        Invalid(
            "FROM alpine\nMAINTAINER moby@example.com\n",
            'FROM alpine\nLABEL org.opencontainers.image.authors="moby@example.com"\n',
        ),
        Invalid(
            'FROM alpine\nmaintainer "Jane" <jane@example.com> $5\n',
            'FROM alpine\nlabel org.opencontainers.image.authors="\\"Jane\\" <jane@example.com> \\$5"\n',
        ),
        Invalid(
            "# escape=`\r\nFROM alpine\r\nMAINTAINER C:\\me `q` x\r\n",
            '# escape=`\r\nFROM alpine\r\nLABEL org.opencontainers.image.authors="C:\\me ``q`` x"\r\n',
        ),
        Invalid('FROM alpine\nLABEL org.opencontainers.image.authors="a"\nMAINTAINER b\n'),
    )  # fmt: skip

    def visit_instruction(self, instruction: Instruction, stage: StageInfo | None) -> None:
        if instruction.name != "MAINTAINER":
            return
        message = "Maintainer instruction is deprecated in favor of using label"
        arguments = instruction.arguments
        keyword_node = next(c for c in instruction.children if isinstance(c, Keyword))
        if arguments is None or any(isinstance(n, Comment) for n in instruction.descendants()):
            self.report(instruction, message)
            return
        if stage is not None and any(
            key == AUTHORS
            for ins in stage.stage.instructions
            if ins.name == "LABEL"
            for key, _ in _pairs(ins)
        ):
            self.report(instruction, f"{message} (not replaced: the stage already sets {AUTHORS})")
            return
        escape = self.context.tree.escape
        label = "label" if instruction.keyword.islower() else "LABEL"
        new = Conventions.of(self.context.tree).instruction(
            f"{label} {AUTHORS}={label_value(instruction.value, escape)}"
        )
        new_keyword = next(c for c in new.children if isinstance(c, Keyword))
        assert new.arguments is not None
        self.report(
            instruction,
            message,
            fix={keyword_node: new_keyword, arguments: new.arguments},
            title=f"Use `LABEL {AUTHORS}`",
        )


def _pairs(instruction: Instruction) -> list[tuple[str, str | None]]:
    try:
        return assignments(instruction)
    except buildkit.LineError:
        return []
