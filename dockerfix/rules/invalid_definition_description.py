from __future__ import annotations

import re
from functools import partial

from dockerfix.conventions import Conventions
from dockerfix.diagnostics import Safety
from dockerfix.rules.base import Invalid, Replacements, Rule
from dockerfix.syntax import Comment, Directive, Dockerfile, Instruction, Token
from dockerfix.syntax.buildkit import GO_SPACE
from dockerfix.syntax.nodes import Child

# Comment lines that configure the instruction below them: BuildKit's `# check=...` (read
# from the same PrevComment block, linter.WithMergedConfigFromComments) and dockerfix's own.
_CONFIG_COMMENT = re.compile(r"^(?:check[\t\n\f\r ]*=|dockerfix:)", re.IGNORECASE)


def prev_comment_text(comment: Comment) -> str:
    """The text BuildKit records for a comment line: the line minus its first byte, trimmed.

    (For an indented `  # x` that keeps the `#`: BuildKit strips the first byte, not the `#`.)
    """
    return comment.text[1:].strip(GO_SPACE)


def definition_keys(instruction: Instruction) -> list[str]:
    """The names a description comment may start with: the stage name, or the ARG names."""
    values, _ = instruction.buildkit_arguments
    if instruction.name == "FROM":
        if len(values) == 3 and values[1].lower() == "as":
            return [values[2].lower()]
        return []
    if instruction.name == "ARG":
        return [word.partition("=")[0] for word in values]
    return []


class InvalidDefinitionDescription(Rule):
    """
    ## What it does
    Reports a comment right above `FROM ... AS name` or `ARG` that does not start with the
    stage or argument name (BuildKit's experimental `InvalidDefinitionDescription` check). Off
    by default, like in BuildKit; on where the file asks for it as BuildKit is asked
    (`# check=experimental=InvalidDefinitionDescription` or `experimental=all`), or when
    selected.

    ## Why is this bad?
    BuildKit reads the comment block right above a stage or an `ARG` as its description, shown
    by `docker build --call=outline`, when a line has the form `# <name> <description>`. A
    comment there in another form is either a description in the wrong format or a comment
    that was not meant as one. The block is every comment line since the previous
    instruction; a blank line does not end it, a bare `#` line does (BuildKit's parser; its
    rule text suggests a blank line, which does not detach the comment).

    ## Example
    ```dockerfile
    # compiles the application
    FROM golang:1.22 AS build
    ```

    Use instead:
    ```dockerfile
    # build compiles the application
    FROM golang:1.22 AS build
    ```

    or, if it is not a description:
    ```dockerfile
    # compiles the application
    #
    FROM golang:1.22 AS build
    ```

    ## Fix safety
    Safe: the fix inserts a bare `#` line after the comment block, which detaches it from the
    instruction; the build, the outline and the checks stay as they are. It is only offered
    when nothing in the block is attached on purpose: no `# check=` or `# dockerfix:` comment
    and no line that already describes the stage or argument (`# <name> ...`). Rewording the
    comment as a description is left to the author.

    ## References
    - https://docs.docker.com/reference/build-checks/invalid-definition-description/
    - https://docs.docker.com/build/checks/#experimental-checks
    """

    code = "BK020"
    name = "InvalidDefinitionDescription"
    buildkit_check = "InvalidDefinitionDescription"
    fix_safety = Safety.SAFE
    default_enabled = False
    experimental = True

    VALID = (
        "# foo this is the foo\nARG foo=bar\n\n# base this is the base image\nFROM scratch AS base\n",
        "# version this is the version number\nARG version=latest\n",
        "# baz this is the baz\nARG foo=baz bar=qux baz=quux\n",
        "# a detached comment\n#\nARG bit=bat\nFROM scratch\n",
        "# comment for something other than ARG or FROM\nFROM scratch\nCOPY Dockerfile .\n",
        "# syntax=docker/dockerfile:1\nARG foo=1\nFROM scratch\n",
        "FROM scratch\n# no stage name: nothing to describe\nFROM scratch\n",
    )
    INVALID = (
        Invalid("# bar this is the bar\nARG foo=bar\nFROM scratch\n", "# bar this is the bar\n#\nARG foo=bar\nFROM scratch\n"),
        Invalid("# BasE this is the BasE image\nFROM scratch AS base\n", "# BasE this is the BasE image\n#\nFROM scratch AS base\n"),
        Invalid("FROM scratch\n# definitely a bad comment\nARG foo=baz bar=qux baz=quux\n", "FROM scratch\n# definitely a bad comment\n#\nARG foo=baz bar=qux baz=quux\n"),
        Invalid("# Build stage\r\n\r\nFROM golang AS build\r\n", "# Build stage\r\n#\r\n\r\nFROM golang AS build\r\n"),
        Invalid("# build compiles the app\n# with the Go toolchain\nFROM golang AS build\n"),
        Invalid("FROM scratch\n# check=skip=JSONArgsRecommended\nARG foo\n"),
    )  # fmt: skip

    def visit_dockerfile(self, tree: Dockerfile) -> None:
        block: list[Comment] = []
        for child in tree.children:
            if isinstance(child, Comment):
                if prev_comment_text(child):
                    block.append(child)
                else:
                    block = []
            elif isinstance(child, Instruction):
                if block:  # most instructions have no comment above them
                    self._check(tree, child, block)
                    block = []
            elif not isinstance(child, Directive | Token):  # pragma: no cover
                block = []

    def _check(self, tree: Dockerfile, instruction: Instruction, block: list[Comment]) -> None:
        keys = definition_keys(instruction)
        if not keys:
            return
        texts = [prev_comment_text(comment) for comment in block]
        if texts[-1].split(" ")[0] in keys:
            return
        example = keys[0] if len(keys) == 1 else "<arg_key>"
        attached = any(_CONFIG_COMMENT.match(text) for text in texts) or any(
            text.startswith(key + " ") for text in texts for key in keys
        )
        fix = None if attached else partial(_detached, tree, block[-1])
        self.report(
            instruction,
            f"Comment for {instruction.name} should follow the format: `# {example} <description>`",
            fix=fix,
            title="Detach the comment with a bare `#` line",
        )


def _detached(tree: Dockerfile, last: Comment) -> Replacements:
    """The whole file with a bare `#` line after the comment `last` (worked out when
    applied)."""
    newline = Conventions.of(tree).newline
    bare = Comment((Token("COMMENT", "#"), Token("NEWLINE", newline)))
    children: list[Child] = []
    for child in tree.children:
        children.append(child)
        if child is last:
            children.append(bare)
    return {tree: tree.with_changes(children=tuple(children))}
