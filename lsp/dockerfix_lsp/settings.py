"""Settings: the editor's (initializationOptions, workspace/configuration) over the project's.

The project's settings come from the config file nearest to the document, found and read the
way the CLI does (`dockerfix.config_file`). The editor's settings then act like the CLI's
flags over that file:

    select          non-empty: replaces the file's `select`          (like --select)
    extendSelect    added to the file's `extend-select`              (like --extend-select)
    ignore          added to the file's `ignore`                     (like --ignore)
    unsafeFixes     true turns unsafe fixes on                       (like --unsafe-fixes)
    syntaxDirective non-empty: replaces the file's `syntax-directive`

The file's `per-file-ignores` apply to the document's path, as they do in the CLI.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from dockerfix.config import Config
from dockerfix.config_file import ConfigError, PerFileIgnores, Settings, find, load
from dockerfix.rules import ALL_RULES

logger = logging.getLogger(__name__)

SECTION = "dockerfix"
# How long a "which config file applies to this directory" answer is reused.
FIND_TTL = 2.0


def is_known_selector(selector: str) -> bool:
    """`ALL`, a rule name, or a prefix of a rule code (what the CLI accepts)."""
    if selector == "ALL":
        return True
    upper = selector.upper()
    return any(selector == rule.name or rule.code.startswith(upper) for rule in ALL_RULES)


@dataclass(frozen=True)
class ClientSettings:
    """What the editor asked for; None / empty means "as the project says"."""

    select: tuple[str, ...] = ()
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    unsafe_fixes: bool = False
    syntax_directive: str | None = None
    problems: tuple[str, ...] = field(default=(), compare=False)


_ALIASES = {
    "select": "select",
    "extendSelect": "extend_select",
    "extend-select": "extend_select",
    "extend_select": "extend_select",
    "ignore": "ignore",
    "unsafeFixes": "unsafe_fixes",
    "unsafe-fixes": "unsafe_fixes",
    "unsafe_fixes": "unsafe_fixes",
    "syntaxDirective": "syntax_directive",
    "syntax-directive": "syntax_directive",
    "syntax_directive": "syntax_directive",
}


def unwrap(options: object) -> object:
    """`{"settings": {...}}`, `{"dockerfix": {...}}` or the flat settings themselves."""
    if isinstance(options, Mapping):
        for key in ("settings", SECTION):
            inner = options.get(key)
            if isinstance(inner, Mapping):
                return inner
    return options


def parse_client_settings(raw: object) -> ClientSettings:
    """Read the editor's settings leniently: bad values are dropped and noted in `problems`."""
    raw = unwrap(raw)
    if raw is None:
        return ClientSettings()
    if not isinstance(raw, Mapping):
        return ClientSettings(problems=(f"settings must be an object, got {raw!r}",))
    values: dict[str, object] = {}
    problems: list[str] = []
    for key, value in raw.items():
        name = _ALIASES.get(str(key))
        if name is None:
            continue  # other keys belong to the editor integration (e.g. the server path)
        if value is None:
            continue
        if name in ("select", "extend_select", "ignore"):
            selectors = _selectors(key, value, problems)
            if selectors is not None:
                values[name] = selectors
        elif name == "unsafe_fixes":
            if isinstance(value, bool):
                values[name] = value
            else:
                problems.append(f"{key}: expected true or false, got {value!r}")
        elif isinstance(value, str) and value.strip() and not any(c.isspace() for c in value):
            values[name] = value
        elif value != "":
            problems.append(f"{key}: expected an image reference, got {value!r}")
    return ClientSettings(**values, problems=tuple(problems))  # type: ignore[arg-type]


def _selectors(key: object, value: object, problems: list[str]) -> tuple[str, ...] | None:
    if isinstance(value, str):
        value = [part.strip() for part in value.split(",") if part.strip()]
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        problems.append(f"{key}: expected a list of rule codes or names, got {value!r}")
        return None
    known = []
    for selector in value:
        if is_known_selector(selector):
            known.append(selector)
        else:
            problems.append(f"{key}: unknown rule or code prefix {selector!r} (ignored)")
    return tuple(known)


def merge(project: Settings | None, client: ClientSettings, path: Path | None) -> Config:
    """The engine config for one document."""
    base = project.config if project is not None else Config()
    ignore = base.ignore
    if project is not None and project.per_file_ignores and path is not None:
        ignore += PerFileIgnores(project.per_file_ignores, project.base).codes_for(path)
    return replace(
        base,
        select=client.select or base.select,
        extend_select=base.extend_select + client.extend_select,
        ignore=ignore + client.ignore,
        unsafe_fixes=base.unsafe_fixes or client.unsafe_fixes,
        syntax_directive=client.syntax_directive or base.syntax_directive,
    )


@dataclass(frozen=True)
class ProjectSettings:
    settings: Settings | None
    error: str | None = None  # a config file that could not be used


class ProjectConfigs:
    """The config file nearest to each document, re-read when it changes on disk."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._found: dict[Path, tuple[float, Path | None]] = {}
        self._loaded: dict[Path, tuple[tuple[int, int], ProjectSettings]] = {}

    def clear(self) -> None:
        with self._lock:
            self._found.clear()
            self._loaded.clear()

    def for_document(self, path: Path | None) -> ProjectSettings:
        if path is None:
            return ProjectSettings(None)
        config_path = self._find(path.parent)
        if config_path is None:
            return ProjectSettings(None)
        try:
            stat = config_path.stat()
        except OSError:
            return ProjectSettings(None)
        stamp = (stat.st_mtime_ns, stat.st_size)
        with self._lock:
            cached = self._loaded.get(config_path)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        try:
            loaded = ProjectSettings(load(config_path, is_known_selector))
        except ConfigError as exc:
            logger.warning("%s", exc)
            loaded = ProjectSettings(None, str(exc))
        with self._lock:
            self._loaded[config_path] = (stamp, loaded)
        return loaded

    def _find(self, directory: Path) -> Path | None:
        now = time.monotonic()
        with self._lock:
            cached = self._found.get(directory)
        if cached is not None and now - cached[0] < FIND_TTL:
            return cached[1]
        found = find(directory) if os.path.isdir(directory) else None
        with self._lock:
            self._found[directory] = (now, found)
        return found
