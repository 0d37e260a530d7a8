from __future__ import annotations

from dockerfix.diagnostics import Safety
from dockerfix.rules.base import Invalid, Rule
from dockerfix.syntax import Dockerfile, Instruction, Keyword, Token, buildkit


def _known(instruction: Instruction) -> bool:
    return instruction.keyword.lower() in buildkit.KNOWN_INSTRUCTIONS


class ConsistentInstructionCasing(Rule):
    """
    ## What it does
    Reports an instruction keyword written in mixed case (`Run`) or in the case the file
    mostly does not use, and re-cases it to the majority.

    ## Why is this bad?
    Keywords are case-insensitive, but a file that mixes `RUN`, `run` and `Run` is harder to
    read. This is BuildKit's `ConsistentInstructionCasing` build check with its exact count:
    the majority is taken over the `FROM` lines and the instructions of the stages (ARGs
    before the first `FROM` are neither counted nor checked, as in BuildKit), only keywords
    that are all lower or all upper case vote, and a tie means upper case. Beyond BuildKit,
    the keyword of an `ONBUILD` trigger is checked against the same majority (BuildKit does
    not look inside `ONBUILD`); it does not vote.

    ## Example
    ```dockerfile
    From alpine
    Run echo hello > /greeting.txt
    EntRYpOiNT ["cat", "/greeting.txt"]
    ```

    Use instead:
    ```dockerfile
    FROM alpine
    RUN echo hello > /greeting.txt
    ENTRYPOINT ["cat", "/greeting.txt"]
    ```

    ## Fix safety
    Safe: BuildKit reads keywords case-insensitively; only the keyword's letters change
    (also when a line continuation cuts the keyword).

    ## References
    - https://docs.docker.com/reference/build-checks/consistent-instruction-casing/
    - BuildKit: `frontend/dockerfile/dockerfile2llb/validations.go` (`validateCommandCasing`)
    """

    code = "BK004"
    name = "ConsistentInstructionCasing"
    fix_safety = Safety.SAFE
    buildkit_check = "ConsistentInstructionCasing"

    VALID = (
        'FROM alpine\nRUN echo hello > /greeting.txt\nENTRYPOINT ["cat", "/greeting.txt"]\n',
        'from alpine\nrun echo hello > /greeting.txt\nentrypoint ["cat", "/greeting.txt"]\n',
        "arg V=1\nFROM alpine:$V\nRUN true\n",
    )
    INVALID = (
        Invalid(
            'From alpine\nRun echo hello > /greeting.txt\nEntRYpOiNT ["cat", "/greeting.txt"]\n',
            'FROM alpine\nRUN echo hello > /greeting.txt\nENTRYPOINT ["cat", "/greeting.txt"]\n',
        ),
        Invalid("from alpine\nrun a\nRUN b\ncmd c\n", "from alpine\nrun a\nrun b\ncmd c\n"),
        Invalid("FROM alpine\nrun a\n", "FROM alpine\nRUN a\n"),
        Invalid("FROM alpine\nONBUILD run make\n", "FROM alpine\nONBUILD RUN make\n"),
        Invalid("FROM alpine\r\nR\\\r\nun a\r\n", "FROM alpine\r\nR\\\r\nUN a\r\n"),
    )  # fmt: skip

    def visit_dockerfile(self, tree: Dockerfile) -> None:
        # Unknown instructions fail the build before BuildKit counts; known ones are ASCII.
        voters = [
            instruction
            for stage in tree.stages
            for instruction in (stage.from_instruction, *stage.instructions)
            if _known(instruction)
        ]
        lower = upper = 0
        for instruction in voters:
            keyword = instruction.keyword
            if keyword == instruction.name:
                upper += 1
            elif keyword == keyword.lower():
                lower += 1
        majority_lower = lower > upper
        casing = "lowercase" if majority_lower else "uppercase"
        for instruction in voters:
            targets = [instruction]
            if instruction.trigger is not None and _known(instruction.trigger):
                targets.append(instruction.trigger)
            for target in targets:
                keyword = target.keyword
                expected = keyword.lower() if majority_lower else target.name
                if keyword == expected:
                    continue
                (node,) = [c for c in target.children if isinstance(c, Keyword)]
                self.report(
                    node,
                    f"Command '{keyword}' should match the case of the command majority ({casing})",
                    fix={
                        token: Token(
                            token.type,
                            token.text.lower() if majority_lower else token.text.upper(),
                        )
                        for token in node.tokens()
                        if token.type == "KEYWORD"
                    },
                    title=f"Write `{expected}`",
                )
