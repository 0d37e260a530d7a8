from __future__ import annotations

import re
from collections.abc import Callable

from dockerfix.conventions import Conventions
from dockerfix.diagnostics import Safety
from dockerfix.rules.base import Invalid, Rule
from dockerfix.syntax import Comment, Directive, Dockerfile, Instruction, Token

Version = tuple[int, int]

# docker/dockerfile pins: `docker/dockerfile:1.4`, `docker.io/docker/dockerfile:1.4.3-labs`...
_PIN = re.compile(
    r"^(?P<image>(?:[\w.-]+/)*docker/dockerfile):(?P<version>\d+(?:\.\d+){0,2})(?P<suffix>-\w+)?(?P<rest>.*)$"
)
_GIT_URL = re.compile(r"^(?:git@|https?://\S+\.git(?:#|$)|git://)")


def _flag(instruction_names: tuple[str, ...], flag: str) -> Callable[[Instruction], bool]:
    return lambda i: i.name in instruction_names and i.flag(flag) is not None


def _secret_env(instruction: Instruction) -> bool:
    return any(
        f.name == "mount" and f.option("type") == "secret" and f.option("env") is not None
        for f in instruction.flags
    )


# The first stable docker/dockerfile release of each feature (BUILDKIT.md §2, read from the
# frontend's release tags), with how to spot it on an instruction.
FEATURES: tuple[tuple[Version, str, Callable[[Instruction], bool]], ...] = (
    ((1, 2), "RUN --mount", _flag(("RUN",), "mount")),
    ((1, 2), "--chmod", _flag(("COPY", "ADD"), "chmod")),
    ((1, 3), "RUN --network", _flag(("RUN",), "network")),
    ((1, 4), "heredocs", lambda i: bool(i.heredocs)),
    ((1, 4), "--link", _flag(("COPY", "ADD"), "link")),
    ((1, 6), "ADD --checksum", _flag(("ADD",), "checksum")),
    ((1, 6), "ADD --keep-git-dir", _flag(("ADD",), "keep-git-dir")),
    ((1, 6), "ADD of a Git repository", lambda i: i.name == "ADD" and any(_GIT_URL.match(a) for a in i.buildkit_arguments[0])),
    ((1, 10), "secret mounts with env=", _secret_env),
    ((1, 17), "ADD --unpack", _flag(("ADD",), "unpack")),
    ((1, 19), "--exclude", _flag(("COPY", "ADD"), "exclude")),
    ((1, 20), "COPY --parents", _flag(("COPY",), "parents")),
    ((1, 20), "RUN --security", _flag(("RUN",), "security")),
)  # fmt: skip


def required_version(tree: Dockerfile) -> tuple[Version, str] | None:
    """The newest feature the file uses: (minimum version, feature name)."""
    best: tuple[Version, str] | None = None
    for instruction in tree.instructions:
        for target in (instruction, instruction.trigger):
            # Each feature is a flag, a heredoc or an ADD source: most instructions have none.
            if target is None or not (target.flags or target.heredocs or target.name == "ADD"):
                continue
            for version, feature, used in FEATURES:
                if (best is None or version > best[0]) and used(target):
                    best = (version, feature)
    return best


class SyntaxDirective(Rule):
    """
    ## What it does
    Adds a `# syntax=docker/dockerfile:1` parser directive when there is none, and raises a
    pinned `docker/dockerfile:1.N` when the file uses a feature newer than the pin.

    ## Why is this bad?
    Without the directive the build uses whatever Dockerfile frontend the builder bundles:
    heredocs, cache and secret mounts, `--link`, `--exclude`... then depend on the Docker
    version of whoever builds. The directive makes BuildKit fetch a known frontend. A pin older
    than a feature the file uses fails the build.

    ## Example
    ```dockerfile
    FROM alpine
    RUN <<EOF
    echo hello
    EOF
    ```

    Use instead:
    ```dockerfile
    # syntax=docker/dockerfile:1
    FROM alpine
    RUN <<EOF
    echo hello
    EOF
    ```

    ## Fix safety
    Safe: the directive is added as the very first line (after a BOM or a `#!` line, beside
    `escape` and `check` directives), and a pin is raised to the smallest version that has every
    feature the file uses. Custom frontends (other images) are left alone. The directive to add
    is configurable (`syntax-directive`).

    ## References
    - https://docs.docker.com/reference/dockerfile/#syntax
    - https://docs.docker.com/build/buildkit/frontend/
    """

    code = "DF001"
    name = "SyntaxDirective"
    fix_safety = Safety.SAFE

    VALID = (
        "# syntax=docker/dockerfile:1\nFROM alpine\n",
        "# syntax=docker/dockerfile:1.4\nFROM alpine\nRUN <<EOF\nx\nEOF\n",
        "#!/usr/bin/env buildctl\n# syntax=docker/dockerfile:1\nFROM alpine\n",
        "# syntax=example.com/custom/frontend:2\nFROM alpine\n",
    )
    INVALID = (
        Invalid("FROM alpine\n", "# syntax=docker/dockerfile:1\nFROM alpine\n"),
        Invalid("\ufeffFROM a\r\n", "\ufeff# syntax=docker/dockerfile:1\r\nFROM a\r\n"),
        Invalid("# escape=`\nFROM a\n", "# syntax=docker/dockerfile:1\n# escape=`\nFROM a\n"),
        Invalid("# a comment\n\nFROM a\n", "# syntax=docker/dockerfile:1\n# a comment\n\nFROM a\n"),
        Invalid("#!/bin/env buildctl\nFROM a\n", "#!/bin/env buildctl\n# syntax=docker/dockerfile:1\nFROM a\n"),
        Invalid(
            "# syntax=docker/dockerfile:1.2\nFROM a\nCOPY --link . /\n",
            "# syntax=docker/dockerfile:1.4\nFROM a\nCOPY --link . /\n",
        ),
        Invalid(
            "# syntax = docker/dockerfile:1.0-experimental\nFROM a\nRUN --mount=type=cache,target=/c x\n",
            "# syntax = docker/dockerfile:1.2\nFROM a\nRUN --mount=type=cache,target=/c x\n",
        ),
    )  # fmt: skip

    def visit_dockerfile(self, tree: Dockerfile) -> None:
        directive = tree.directive("syntax") or _syntax_after_shebang(tree)
        if directive is None:
            self._missing(tree)
            return
        match = _PIN.match(directive.value if isinstance(directive, Directive) else "")
        needed = required_version(tree)
        if match is None or needed is None:
            return
        pinned = tuple(int(part) for part in match.group("version").split("."))
        if len(pinned) == 1 or pinned[:2] >= needed[0]:
            return
        version = f"{needed[0][0]}.{needed[0][1]}"
        # Only the labs channel still exists past 1.2; `-experimental` pins become mainline.
        suffix = match.group("suffix") if match.group("suffix") == "-labs" else ""
        value = f"{match.group('image')}:{version}{suffix}{match.group('rest')}"
        (token,) = [t for t in directive.children if isinstance(t, Token) and t.type == "DIRECTIVE"]
        new = Token("DIRECTIVE", token.text.replace(directive.value, value, 1))
        self.report(
            directive,
            f"`{directive.value}` is older than {needed[1]} (docker/dockerfile {version})",
            fix={token: new},
            title=f"Raise the syntax directive to {value}",
        )

    def _missing(self, tree: Dockerfile) -> None:
        conventions = Conventions.of(tree)
        syntax = self.context.config.syntax_directive
        directive = Token("DIRECTIVE", f"# syntax={syntax}")
        newline = Token("NEWLINE", conventions.newline)
        children = list(tree.children)
        at = 1 if children and isinstance(children[0], Token) and children[0].type == "BOM" else 0
        if _is_shebang(children[at] if at < len(children) else None):
            at += 1
        children[at:at] = [Directive((directive, newline))]
        first = tree.instructions[0]
        self.report(
            first,
            "missing `# syntax=` directive: the build depends on the builder's bundled frontend",
            fix={tree: tree.with_changes(children=tuple(children))},
            title=f"Add `# syntax={syntax}`",
        )


def _is_shebang(node: object) -> bool:
    return isinstance(node, Comment) and node.text.lstrip().startswith("#!") and node.start <= 1


def _syntax_after_shebang(tree: Dockerfile) -> Directive | Comment | None:
    """BuildKit's DetectSyntax skips one `#!` line, which the main parser treats as a comment."""
    children = [c for c in tree.children if not (isinstance(c, Token) and c.type == "BOM")]
    if len(children) < 2 or not _is_shebang(children[0]) or not isinstance(children[1], Comment):
        return None
    text = children[1].text.strip()
    match = re.match(r"#\s*syntax\s*=\s*(\S.*)$", text, re.IGNORECASE)
    return children[1] if match else None
