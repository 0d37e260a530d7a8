"""The rule API: what a rule module subclasses, reports and declares as examples."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import ClassVar

from dockerfix.config import Config
from dockerfix.diagnostics import Safety, Severity
from dockerfix.semantics import Model, StageInfo
from dockerfix.syntax import Dockerfile, Instruction, Node, Token
from dockerfix.syntax.transform import REMOVE, Transformer, replace

Target = Node | Token
Replacements = Mapping[Target, Target | object]
# A fix's replacements, worked out only if the fix is applied or shown: most reports are only
# listed, and building new nodes can cost more than finding the problem (replacing the tree
# itself rebuilds the whole file).
DeferredReplacements = Callable[[], Replacements]


@dataclass(frozen=True)
class Invalid:
    """An example the rule reports; `fixed` is the text after its fix (None: no fix)."""

    source: str
    fixed: str | None = None
    unsafe: bool = False  # the fix is only applied with unsafe fixes on


@dataclass(frozen=True)
class Context:
    """What a rule may look at: the tree, its stage model, the options, and side inputs."""

    tree: Dockerfile
    model: Model
    config: Config
    dockerignore: str | None = None  # the text of the .dockerignore beside the Dockerfile


@dataclass(frozen=True)
class Report:
    node: Target
    message: str
    fix: Transformer | None
    title: str | None
    safety: Safety | None
    severity: Severity | None
    build_flags: tuple[str, ...] = field(default=())


class Rule:
    """Subclass, set the class attributes, write the docstring, implement some `visit_*`."""

    code: ClassVar[str]
    name: ClassVar[str]
    fix_safety: ClassVar[Safety | None] = None
    severity: ClassVar[Severity] = Severity.WARNING
    buildkit_check: ClassVar[str | None] = None
    default_enabled: ClassVar[bool] = True
    # A BuildKit experimental check: off by default, on where the file's `# check=` directive
    # lists it under `experimental=` (or says `experimental=all`), as in BuildKit.
    experimental: ClassVar[bool] = False
    VALID: ClassVar[tuple[str, ...]] = ()
    INVALID: ClassVar[tuple[Invalid, ...]] = ()
    # The `visit_*` hooks the class implements (the engine calls only those).
    hooks: ClassVar[frozenset[str]] = frozenset()
    # A rule with `visit_dockerfile` sees the whole file at once. The others run once per
    # group of related stages (stages linked by FROM, COPY --from or RUN --mount=from), as if
    # the file held only that group, and must not read other groups' stages: the language
    # server reuses a group's findings while the group's text is unchanged.
    whole_file: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        names = ("visit_dockerfile", "visit_group", "visit_stage", "visit_instruction")
        cls.hooks = frozenset(n for n in names if getattr(cls, n) is not getattr(Rule, n))
        cls.whole_file = "visit_dockerfile" in cls.hooks
        if cls.whole_file and len(cls.hooks) > 1:
            raise TypeError(f"{cls.__name__}: visit_dockerfile sees the whole file; no other hook")

    def __init__(self, context: Context) -> None:
        self.context = context
        self.options = context.config.options_for(self.code, self.name)
        self.reports: list[Report] = []

    @classmethod
    def summary(cls) -> str:
        """The first sentence of the docstring's 'What it does' section."""
        paragraph = _sections(cls.__doc__ or "").get("What it does", "").split("\n\n")[0]
        text = " ".join(line.strip() for line in paragraph.splitlines())
        end = text.find(". ")
        return text if end < 0 else text[: end + 1]

    @classmethod
    def docs(cls) -> str:
        return inspect.cleandoc(cls.__doc__ or "")

    # -- hooks the engine calls; override the ones you need ------------------------------

    def visit_dockerfile(self, tree: Dockerfile) -> None:
        """Called once; a rule that implements it implements no other hook."""

    def visit_group(self, group: list[StageInfo]) -> None:
        """Called for every group of related stages (in file order), before its stages."""

    def visit_stage(self, stage: StageInfo) -> None:
        """Called for every stage of a group, in order, before any instruction of it."""

    def visit_instruction(self, instruction: Instruction, stage: StageInfo | None) -> None:
        """Called for every instruction of a group, in order; also, with stage None, for
        each instruction before the first FROM."""

    # -- reporting ---------------------------------------------------------------------

    def report(
        self,
        node: Target,
        message: str,
        *,
        fix: Replacements | DeferredReplacements | Transformer | None = None,
        title: str | None = None,
        safety: Safety | None = None,
        severity: Severity | None = None,
        build_flags: tuple[str, ...] = (),
    ) -> None:
        """Report `node`; a fix is node replacements (`REMOVE` deletes), a function that
        returns them when the fix is needed, or a transformer."""
        transformer = fix if isinstance(fix, Transformer) or fix is None else _Replace(fix)
        self.reports.append(
            Report(node, message, transformer, title, safety, severity, build_flags)
        )


class _Replace(Transformer):
    def __init__(self, replacements: Replacements | DeferredReplacements) -> None:
        self.replacements = replacements

    def transform(self, node: Node) -> Node:
        found = self.replacements() if callable(self.replacements) else self.replacements
        return replace(node, found)  # type: ignore[arg-type]


def _sections(doc: str) -> dict[str, str]:
    """The docstring's `## Heading` sections, keyed by heading (without a trailing '?')."""
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in inspect.cleandoc(doc).splitlines():
        if line.startswith("## "):
            current = sections.setdefault(line[3:].strip().rstrip("?"), [])
        elif current is not None:
            current.append(line)
    return {key: "\n".join(lines).strip() for key, lines in sections.items()}


__all__ = ["REMOVE", "Context", "Invalid", "Replacements", "Rule"]
