from __future__ import annotations

from dockerfix.diagnostics import Safety
from dockerfix.rules.base import REMOVE, Invalid, Rule
from dockerfix.semantics import StageInfo
from dockerfix.suppressions import Suppressions
from dockerfix.suppressions import find as find_suppressions
from dockerfix.syntax import Instruction

# The instructions whose last occurrence in a stage wins (BK:dockerfile2llb/convert.go
# dispatchCmd/dispatchEntrypoint/dispatchHealthcheck call validateUsedOnce; BUILDKIT.md §6 #12).
SINGLE_USE = ("CMD", "ENTRYPOINT", "HEALTHCHECK")


class MultipleInstructionsDisallowed(Rule):
    """
    ## What it does
    Reports a `CMD`, `ENTRYPOINT` or `HEALTHCHECK` that a later one in the same stage overrides
    (BuildKit's `MultipleInstructionsDisallowed` check).

    ## Why is this bad?
    Only the last `CMD`, `ENTRYPOINT` and `HEALTHCHECK` of a stage end up in the image; the
    earlier ones do nothing but mislead the reader about how the container starts. Like
    BuildKit, the diagnostic sits on the earlier, ignored instruction, and a
    `# check=skip=MultipleInstructionsDisallowed` comment above the later one silences it.
    Instructions of a stage built `FROM` another stage are not compared with that stage's.

    ## Example
    ```dockerfile
    FROM alpine
    CMD ["echo", "hello"]
    CMD ["echo", "world"]
    ```

    Use instead:
    ```dockerfile
    FROM alpine
    CMD ["echo", "world"]
    ```

    ## Fix safety
    Unsafe: the fix deletes the earlier instruction's whole lines (comment lines above it are
    kept). The image configuration is the same afterwards (an `ENTRYPOINT` clears `CMD` only
    when the stage set no `CMD` before it, which deleting earlier duplicates cannot change),
    but the image history loses entries, and the earlier instruction may have been the one the
    author meant to keep.

    ## References
    - https://docs.docker.com/reference/build-checks/multiple-instructions-disallowed/
    - https://docs.docker.com/reference/dockerfile/#cmd
    """

    code = "BK012"
    name = "MultipleInstructionsDisallowed"
    buildkit_check = "MultipleInstructionsDisallowed"
    fix_safety = Safety.UNSAFE

    VALID = (
        'FROM alpine\nENTRYPOINT ["/app"]\nCMD ["--help"]\nHEALTHCHECK CMD ["/app", "ping"]\n',
        'FROM alpine AS a\nCMD ["/a"]\nFROM a AS b\nCMD ["/b"]\n',
        'FROM alpine\nONBUILD CMD ["/a"]\nCMD ["/b"]\n',
        'FROM alpine\nHEALTHCHECK NONE\nCMD ["/b"]\n',
        'FROM alpine\nCMD ["/a"]\n# check=skip=MultipleInstructionsDisallowed\nCMD ["/b"]\n',
    )
    INVALID = (
        Invalid('FROM alpine\nCMD ["echo", "hello"]\nCMD ["echo", "world"]\n', 'FROM alpine\nCMD ["echo", "world"]\n', unsafe=True),
        Invalid('FROM alpine\nENTRYPOINT ["/a"]\nENTRYPOINT ["/b"]\n', 'FROM alpine\nENTRYPOINT ["/b"]\n', unsafe=True),
        Invalid('FROM alpine\nHEALTHCHECK CMD ["/a"]\nHEALTHCHECK NONE\n', 'FROM alpine\nHEALTHCHECK NONE\n', unsafe=True),
        Invalid("FROM alpine\r\n# start\r\nCMD a \\\r\n  b\r\nRUN x\r\ncmd c\r\n", "FROM alpine\r\n# start\r\nRUN x\r\ncmd c\r\n", unsafe=True),
        Invalid('FROM alpine\nCMD ["a"]\nCMD ["b"]\nCMD ["c"]', 'FROM alpine\nCMD ["c"]', unsafe=True),
        Invalid('FROM alpine\nCMD ["a"]\nCMD ["b"]\n'),
    )  # fmt: skip

    _suppressions: Suppressions | None = None

    def visit_stage(self, stage: StageInfo) -> None:
        previous: dict[str, Instruction] = {}
        for instruction in stage.stage.instructions:
            if instruction.name not in SINGLE_USE:
                continue
            earlier = previous.get(instruction.name)
            # BuildKit lints while dispatching the later instruction, with the `# check=`
            # comments above that one (convert.go dispatch); the engine applies the earlier's.
            if earlier is not None and not self._silenced_at(instruction):
                self.report(
                    earlier,
                    f"Multiple {instruction.keyword} instructions should not be used in the same"
                    " stage because only the last one will be used",
                    fix={earlier: REMOVE},
                    title=f"Remove the overridden {earlier.keyword} instruction",
                )
            previous[instruction.name] = instruction

    def _silenced_at(self, instruction: Instruction) -> bool:
        if self._suppressions is None:
            self._suppressions = find_suppressions(self.context.tree)
        return self._suppressions.silences(
            self.code, self.name, self.buildkit_check, instruction.start
        )
