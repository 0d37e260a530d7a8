from __future__ import annotations

from dockerfix.diagnostics import Safety
from dockerfix.rules.base import REMOVE, Invalid, Rule
from dockerfix.semantics import StageInfo
from dockerfix.syntax import Heredoc, Instruction, Node, Token


class NoEmptyContinuation(Rule):
    """
    ## What it does
    Reports empty (or whitespace-only) lines inside a continued instruction, and deletes them.

    ## Why is this bad?
    BuildKit skips such a line and keeps reading the instruction, so an escape at the end
    of the last real line silently glues the next instruction onto this one (`RUN a \\`, a
    blank line, `RUN b` is the single command `a RUN b`). BuildKit warns about them and
    announces they will become errors. This is BuildKit's `NoEmptyContinuation` build check:
    one report per instruction, on its last line, as BuildKit does.

    ## Example
    ```dockerfile
    FROM alpine
    EXPOSE \\

    80
    ```

    Use instead:
    ```dockerfile
    FROM alpine
    EXPOSE \\
    80
    ```

    ## Fix safety
    Safe: BuildKit already ignores the lines, so the instruction reads the same without
    them. Comment lines inside the continuation are not empty and are kept; heredoc bodies
    are not continuations and are never touched. If the blank line was meant to end the
    instruction, the build was already wrong: the fix does not change that reading.

    ## References
    - https://docs.docker.com/reference/build-checks/no-empty-continuation/
    - BuildKit: `frontend/dockerfile/parser/parser.go` (`isEmptyContinuationLine`)
    """

    code = "BK003"
    name = "NoEmptyContinuation"
    fix_safety = Safety.SAFE
    buildkit_check = "NoEmptyContinuation"

    VALID = (
        "FROM alpine\nEXPOSE \\\n# Port\n80\n",
        "FROM alpine\nRUN apk add \\\n    curl\n\nRUN true\n",
        "FROM alpine\nRUN <<EOF\necho a\n\necho b\nEOF\n",
    )
    INVALID = (
        Invalid("FROM alpine\nEXPOSE \\\n\n80\n", "FROM alpine\nEXPOSE \\\n80\n"),
        Invalid(
            "FROM alpine\nRUN apk add \\\n\n    gnupg \\\n  \t\n    curl\n",
            "FROM alpine\nRUN apk add \\\n    gnupg \\\n    curl\n",
        ),
        Invalid("FROM alpine\r\nRUN a \\\r\n\r\n  # note\r\n  b\r\n", "FROM alpine\r\nRUN a \\\r\n  # note\r\n  b\r\n"),
        Invalid("# escape=`\nFROM alpine\nRUN a `\n\n  b\n", "# escape=`\nFROM alpine\nRUN a `\n  b\n"),
    )  # fmt: skip

    def visit_instruction(self, instruction: Instruction, stage: StageInfo | None) -> None:
        if "\n" not in instruction.text[:-1]:
            return  # one line: nothing continues (most instructions)
        logical = list(_logical_tokens(instruction))
        blanks = [token for token in logical if token.type == "BLANK_LINE"]
        if not blanks:
            return
        # BuildKit reports the line where the logical line ends (parser.go, `currentLine`).
        last = logical[-1] if logical else instruction
        self.report(
            last,
            "Empty continuation line",
            fix=dict.fromkeys(blanks, REMOVE),
            title="Remove the empty continuation line" + ("s" if len(blanks) > 1 else ""),
        )


def _logical_tokens(instruction: Instruction) -> list[Token]:
    """The tokens of the logical line, without its final line break and heredocs."""
    tokens: list[Token] = []
    for child in instruction.children:
        if isinstance(child, Heredoc):
            break
        if isinstance(child, Token) and child.type == "NEWLINE":
            break
        tokens.extend(child.tokens() if isinstance(child, Node) else [child])
    return tokens
