"""`check()` and `fix()`: run the rules, turn their fixes into edits, apply them to a fixed point.

Both are pure functions of their arguments: no I/O, no global state. The CLI and the language
server call them and only convert the results. Rules with a whole-file hook see the whole
file; the others run once per group of related stages, which lets the language server pass
`check_tree` a `Memo` of the document's previous version and skip the groups an edit left
unchanged (tests/test_incremental.py holds it to the same result as a fresh check).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache, lru_cache, partial
from operator import attrgetter

from dockerfix.config import Config
from dockerfix.diagnostics import Diagnostic, Fix, Safety, Severity
from dockerfix.rules import ALL_RULES
from dockerfix.rules.base import Context, Report, Rule
from dockerfix.semantics import Model, StageInfo
from dockerfix.suppressions import find as find_suppressions
from dockerfix.suppressions import listed
from dockerfix.syntax import Dockerfile, Location, ParseError, parse
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


@dataclass
class Memo:
    """What the per-group rules found in each group of related stages of a document, kept
    to check its next version: a group whose text (and the file's preamble, directives,
    stage count and the group's line) is unchanged is not checked again. The language server
    keeps one per open document."""

    settings: tuple[Config, str | None, frozenset[str]] | None = None
    groups: dict[tuple[object, ...], list[_Found]] = field(default_factory=dict)


@dataclass(frozen=True)
class _Found:
    """A report of a per-group rule, placed relative to the FROM of its stage in the group.
    Its lines and columns hold as they are: the group's key pins its stages' first lines."""

    rule: type[Rule]
    stage: int
    start: int
    end: int
    location: Location
    end_location: Location
    message: str
    severity: Severity
    build_flags: tuple[str, ...]
    fix: tuple[str, Safety] | None  # title and safety


def check_tree(
    tree: Dockerfile,
    config: Config,
    *,
    dockerignore: str | None = None,
    memo: Memo | None = None,
) -> list[Diagnostic]:
    """`check()` on a parsed tree; with a `memo` of the previous version of the document,
    groups of stages whose text is unchanged are not checked again (same result)."""
    context = Context(tree, Model(tree), config, dockerignore)
    suppressions = find_suppressions(tree)
    enabled = enabled_rules(config, suppressions.experimental)
    whole_file = [rule(context) for rule in enabled if rule.whole_file]
    _run(whole_file, context)
    found = _reports(whole_file)
    per_group = [rule for rule in enabled if not rule.whole_file]
    found.extend(_preamble(per_group, context))
    settings = (config, dockerignore, suppressions.experimental)
    if memo is not None and memo.settings != settings:
        memo.settings, memo.groups = settings, {}
    found.extend(_per_group(per_group, context, memo))
    kept = [
        d
        for rule, d in found
        if not suppressions
        or not suppressions.silences(rule.code, rule.name, rule.buildkit_check, d.start)
    ]
    kept.sort(key=_SOURCE_ORDER)
    return kept


_SOURCE_ORDER = attrgetter("start", "code")


def _per_group(
    rules: list[type[Rule]], context: Context, memo: Memo | None
) -> list[tuple[type[Rule], Diagnostic]]:
    """The per-group rules' findings, group by group. With a memo, a group it remembers is
    not checked again, and the memo then holds this version's groups."""
    groups = context.model.stage_groups
    if memo is None or not rules:
        return [pair for group in groups for pair in _reports(_checked(rules, group, context))]
    found: list[tuple[type[Rule], Diagnostic]] = []
    remembered: dict[tuple[object, ...], list[_Found]] = {}
    ends = _ends(context.tree)
    for group, key in zip(groups, _group_keys(groups, context, ends), strict=True):
        known = memo.groups.get(key)
        if known is None:
            reported = _reports(_checked(rules, group, context))
            found.extend(reported)
            known = _placed(reported, group, ends)
        else:
            found.extend(_remembered(item, group, context) for item in known)
        if known is not None:
            remembered[key] = known
    memo.groups = remembered
    return found


def _checked(rules: list[type[Rule]], group: list[StageInfo], context: Context) -> list[Rule]:
    instances = [rule(context) for rule in rules]
    _run_group(instances, group)
    return instances


def _reports(rules: list[Rule]) -> list[tuple[type[Rule], Diagnostic]]:
    """The rules' reports as diagnostics."""
    return [_reported(rule, report, rule.context.tree) for rule in rules for report in _taken(rule)]


def _taken(rule: Rule) -> list[Report]:
    """The rule's reports, taken from it: a deferred fix refers to its rule, so reports left
    on the rule would form a reference cycle that keeps the checked tree alive until the next
    full garbage collection."""
    reports, rule.reports = rule.reports, []
    return reports


def _run(rules: list[Rule], context: Context) -> None:
    for rule in rules:
        rule.visit_dockerfile(context.tree)


def _preamble(rules: list[type[Rule]], context: Context) -> list[tuple[type[Rule], Diagnostic]]:
    """The per-group rules' reports on the instructions before the first FROM."""
    global_args = context.tree.global_args
    if not global_args:
        return []  # most files: no rule instances to make
    instances = [rule(context) for rule in rules if "visit_instruction" in rule.hooks]
    for instruction in global_args:
        for rule in instances:
            rule.visit_instruction(instruction, None)
    return _reports(instances)


def _run_group(rules: list[Rule], group: list[StageInfo]) -> None:
    """A group's stages, then their instructions, as if the file held only that group."""
    for rule in rules:
        if "visit_group" in rule.hooks:
            rule.visit_group(group)
    for rule in rules:
        if "visit_stage" in rule.hooks:
            for stage in group:
                rule.visit_stage(stage)
    visiting = [rule for rule in rules if "visit_instruction" in rule.hooks]
    if visiting:
        for stage in group:
            for instruction in (stage.stage.from_instruction, *stage.stage.instructions):
                for rule in visiting:
                    rule.visit_instruction(instruction, stage)


def _group_keys(
    groups: list[list[StageInfo]], context: Context, ends: dict[int, int]
) -> list[tuple[object, ...]]:
    """What the per-group rules may read for each group: the texts of its stages (with the
    comments before each FROM), their indexes and first lines, the preamble before the first
    stage, the directives, the escape character and the number of stages (`is_final`)."""
    tree = context.tree
    before: dict[int, int] = {}  # id(instruction) -> where the instruction before it ends
    last_end = 0
    for instruction in tree.instructions:
        before[id(instruction)] = last_end
        last_end = ends[id(instruction)]
    stages = context.model.stages
    first = before[id(stages[0].stage.from_instruction)] if stages else len(tree.text)
    head = (tree.escape, tuple(d.text for d in tree.directives), len(stages), tree.text[:first])

    def chunk(info: StageInfo) -> tuple[object, ...]:
        start = info.stage.from_instruction.start
        text = tree.text[before[id(info.stage.from_instruction)] : _end(info, ends)]
        return (info.index, tree.location(start).line, text)

    return [(head, *(chunk(info) for info in group)) for group in groups]


def _ends(tree: Dockerfile) -> dict[int, int]:
    """Where each top-level node ends: where the next begins (cheaper than their texts)."""
    children = tree.children
    following = [child.start for child in children[1:]] + [len(tree.text)]
    return {id(child): end for child, end in zip(children, following, strict=True)}


def _end(info: StageInfo, ends: dict[int, int]) -> int:
    """Where a stage's last instruction ends."""
    return ends[id((info.stage.instructions or (info.stage.from_instruction,))[-1])]


def _placed(
    reported: list[tuple[type[Rule], Diagnostic]], group: list[StageInfo], ends: dict[int, int]
) -> list[_Found] | None:
    """The group's findings placed relative to their stage's FROM; None if one lies outside
    the group's stages (it could not be placed in a later version)."""
    spans = [(info.stage.from_instruction.start, _end(info, ends)) for info in group]
    placed = []
    for rule, d in reported:
        stage = next((i for i, (a, b) in enumerate(spans) if a <= d.start and d.end <= b), None)
        if stage is None:
            return None
        anchor = spans[stage][0]
        placed.append(
            _Found(
                rule,
                stage,
                d.start - anchor,
                d.end - anchor,
                d.location,
                d.end_location,
                d.message,
                d.severity,
                d.build_flags,
                (d.fix.title, d.fix.safety) if d.fix is not None else None,
            )
        )
    return placed


def _remembered(
    found: _Found, group: list[StageInfo], context: Context
) -> tuple[type[Rule], Diagnostic]:
    rule = found.rule
    start = group[found.stage].stage.from_instruction.start + found.start
    end = start + found.end - found.start
    fix = None
    if found.fix is not None:
        title, safety = found.fix
        fix = Fix(title, safety, partial(_edits_again, rule, group, context, start, found.message))
    diagnostic = _diagnostic(
        rule,
        (start, found.location),
        (end, found.end_location),
        message=found.message,
        severity=found.severity,
        fix=fix,
        build_flags=found.build_flags,
    )
    return rule, diagnostic


def _edits_again(
    rule: type[Rule], group: list[StageInfo], context: Context, start: int, message: str
) -> tuple[Edit, ...]:
    """A remembered finding's fix: its rule runs on its group again, in this version."""
    instance = rule(context)
    _run_group([instance], group)
    report = next(r for r in _taken(instance) if r.node.start == start and r.message == message)
    assert report.fix is not None, "a remembered fixable finding is fixable again"
    return tuple(edits(context.tree, report.fix.transform(context.tree)))


def _reported(rule: Rule, report: Report, tree: Dockerfile) -> tuple[type[Rule], Diagnostic]:
    fix = None
    if report.fix is not None:
        transformer = report.fix
        safety = report.safety or rule.fix_safety or Safety.SAFE
        fix = Fix(
            report.title or report.message,
            safety,
            lambda: tuple(edits(tree, transformer.transform(tree))),
        )
    start, end = report.node.start, report.node.end
    diagnostic = _diagnostic(
        type(rule),
        (start, tree.location(start)),
        (end, tree.location(end)),
        message=report.message,
        severity=report.severity,
        fix=fix,
        build_flags=report.build_flags,
    )
    return type(rule), diagnostic


def _diagnostic(
    rule: type[Rule],
    start: tuple[int, Location],
    end: tuple[int, Location],
    *,
    message: str,
    severity: Severity | None,
    fix: Fix | None,
    build_flags: tuple[str, ...],
) -> Diagnostic:
    return Diagnostic(
        code=rule.code,
        name=rule.name,
        message=message,
        start=start[0],
        end=end[0],
        location=start[1],
        end_location=end[1],
        severity=severity or rule.severity,
        fix=fix,
        build_flags=build_flags,
        url=_docs_url(rule.name),
    )


@cache
def _docs_url(name: str) -> str:
    return DOCS_URL.format(name=name)


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
