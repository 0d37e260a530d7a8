"""`check()` and `fix()`: run the rules, turn their fixes into edits, apply them to a fixed point.

Both are pure functions of their arguments: no I/O, no global state. The CLI and the language
server call them and only convert the results.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from dockerfix.config import Config
from dockerfix.diagnostics import Diagnostic, Fix, Safety
from dockerfix.rules import ALL_RULES
from dockerfix.rules.base import Context, Report, Rule
from dockerfix.semantics import Model
from dockerfix.suppressions import find as find_suppressions
from dockerfix.suppressions import listed
from dockerfix.syntax import Dockerfile, ParseError, parse
from dockerfix.syntax.transform import Edit, apply, edits

# Trees are immutable, so a fix loop (and a CLI or server asking for diagnostics and then a
# fix of the same text) can share them.
_parse = lru_cache(maxsize=32)(parse)

MAX_ROUNDS = 10
DEFAULT_CONFIG = Config()
DOCS_URL = "https://dockerfix.dev/rules/{name}"


@dataclass(frozen=True)
class FixResult:
    text: str
    applied: list[Diagnostic] = field(default_factory=list)
    remaining: list[Diagnostic] = field(default_factory=list)
    # Fixes whose result did not parse: refused, the text kept without them.
    refused: list[Diagnostic] = field(default_factory=list)
    converged: bool = True

    @property
    def changed(self) -> bool:
        return bool(self.applied)

    @property
    def build_flags(self) -> list[str]:
        """Build flags the fixed file now needs (e.g. `--secret id=X,env=X`), deduplicated."""
        return list(dict.fromkeys(flag for d in self.applied for flag in d.build_flags))


# Configs are compared by identity: a run checks thousands of texts with one config (which,
# holding the rule options' mappings, cannot be hashed).
_ENABLED: dict[tuple[int, frozenset[str]], tuple[Config, list[type[Rule]]]] = {}


def enabled_rules(config: Config, experimental: frozenset[str] = frozenset()) -> list[type[Rule]]:
    """The rules `config` turns on, for a file whose `# check=` directive turns on the
    `experimental` BuildKit checks (as a default: the config's selectors still decide)."""
    key = (id(config), experimental)
    cached = _ENABLED.get(key)
    if cached is None or cached[0] is not config:
        if len(_ENABLED) >= 64:
            _ENABLED.clear()
        rules = [r for r in ALL_RULES if config.enables(r.code, r.name, _default(r, experimental))]
        cached = _ENABLED[key] = (config, rules)
    return cached[1]


def _default(rule: type[Rule], experimental: frozenset[str]) -> bool:
    if rule.experimental and rule.buildkit_check is not None:
        return listed(experimental, rule.buildkit_check)
    return rule.default_enabled


def check(
    text: str, config: Config = DEFAULT_CONFIG, *, dockerignore: str | None = None
) -> list[Diagnostic]:
    """Every diagnostic the enabled rules report on `text`, in source order.

    Raises `ParseError` when `text` is not a Dockerfile BuildKit would accept.
    """
    return check_tree(_parse(text), config, dockerignore=dockerignore)


def check_tree(
    tree: Dockerfile, config: Config, *, dockerignore: str | None = None
) -> list[Diagnostic]:
    context = Context(tree, Model(tree), config, dockerignore)
    suppressions = find_suppressions(tree)
    rules = [rule(context) for rule in enabled_rules(config, suppressions.experimental)]
    _run(rules, context)
    found = []
    for rule in rules:
        for report in rule.reports:
            if suppressions.silences(rule.code, rule.name, rule.buildkit_check, report.node.start):
                continue
            found.append(_diagnostic(rule, report, tree))
    found.sort(key=lambda d: (d.start, d.code))
    return found


def _run(rules: list[Rule], context: Context) -> None:
    tree, model = context.tree, context.model
    for rule in rules:
        if "visit_dockerfile" in rule.hooks:
            rule.visit_dockerfile(tree)
    stage_rules = [r for r in rules if "visit_stage" in r.hooks]
    for stage in model.stages:
        for rule in stage_rules:
            rule.visit_stage(stage)
    instruction_rules = [r for r in rules if "visit_instruction" in r.hooks]
    if instruction_rules:
        for instruction in tree.instructions:
            owner = model.stage_of(instruction)
            for rule in instruction_rules:
                rule.visit_instruction(instruction, owner)


def _diagnostic(rule: Rule, report: Report, tree: Dockerfile) -> Diagnostic:
    fix = None
    if report.fix is not None:
        transformer = report.fix
        safety = report.safety or rule.fix_safety or Safety.SAFE
        fix = Fix(
            report.title or report.message,
            safety,
            lambda: tuple(edits(tree, transformer.transform(tree))),
        )
    node = report.node
    return Diagnostic(
        code=rule.code,
        name=rule.name,
        message=report.message,
        start=node.start,
        end=node.end,
        location=tree.location(node.start),
        end_location=tree.location(node.end),
        severity=report.severity or rule.severity,
        fix=fix,
        build_flags=report.build_flags,
        url=DOCS_URL.format(name=rule.name),
    )


def fix(
    text: str,
    config: Config = DEFAULT_CONFIG,
    *,
    unsafe: bool = False,
    dockerignore: str | None = None,
) -> FixResult:
    """Apply every fix (safe ones, and unsafe ones if asked) until nothing changes.

    Each round applies the fixes that do not overlap, re-parses and checks again; a fix whose
    result would not parse is refused. Raises `ParseError` if `text` itself does not parse.
    """
    unsafe = unsafe or config.unsafe_fixes
    applied: list[Diagnostic] = []
    refused: list[Diagnostic] = []
    refused_keys: set[tuple[str, int, str]] = set()
    current = text
    for _ in range(MAX_ROUNDS):
        diagnostics = check(current, config, dockerignore=dockerignore)
        candidates = [
            d
            for d in diagnostics
            if d.fix is not None
            and (unsafe or d.fix.safety is Safety.SAFE)
            and (d.code, d.start, d.message) not in refused_keys
        ]
        chosen = _non_overlapping(candidates)
        if not chosen:
            remaining = diagnostics
            return FixResult(current, applied, remaining, refused, converged=True)
        accepted, rejected = _parsing_subset(current, chosen)
        refused.extend(rejected)
        refused_keys.update((d.code, d.start, d.message) for d in rejected)
        if not accepted:
            continue
        applied.extend(accepted)
        current = apply(current, [e for d in accepted for e in _edits(d)])
    remaining = check(current, config, dockerignore=dockerignore)
    return FixResult(current, applied, remaining, refused, converged=False)


def _edits(diagnostic: Diagnostic) -> tuple[Edit, ...]:
    assert diagnostic.fix is not None
    return diagnostic.fix.edits


def _overlaps(a: Edit, b: Edit) -> bool:
    if a.start == a.end == b.start == b.end:
        return True
    return (a.start < b.end and b.start < a.end) or a.start == b.start


def _non_overlapping(candidates: Iterable[Diagnostic]) -> list[Diagnostic]:
    taken: list[Edit] = []
    chosen = []
    for diagnostic in candidates:
        mine = _edits(diagnostic)
        if any(_overlaps(a, b) for a in mine for b in taken):
            continue
        taken.extend(mine)
        chosen.append(diagnostic)
    return chosen


def _parses(text: str) -> bool:
    try:
        _parse(text)
    except ParseError:
        return False
    return True


def _parsing_subset(
    text: str, chosen: list[Diagnostic]
) -> tuple[list[Diagnostic], list[Diagnostic]]:
    """The fixes to apply together, and those refused because their result does not parse."""
    if _parses(apply(text, [e for d in chosen for e in _edits(d)])):
        return chosen, []
    accepted: list[Diagnostic] = []
    rejected: list[Diagnostic] = []
    for diagnostic in chosen:
        trial = [e for d in [*accepted, diagnostic] for e in _edits(d)]
        (accepted if _parses(apply(text, trial)) else rejected).append(diagnostic)
    return accepted, rejected
