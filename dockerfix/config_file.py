"""Loading settings from `[tool.dockerfix]` in pyproject.toml, or dockerfix.toml / .dockerfix.toml.

Keys mirror the command-line options, in kebab-case:

    select = ["DF"]                  extend-select = ["DF100"]        ignore = ["DF001"]
    unsafe-fixes = false             syntax-directive = "docker/dockerfile:1"
    secret-patterns = ["cookie"]     exclude = ["vendor/"]            respect-gitignore = true
    format = "text"
    [per-file-ignores]               "legacy/**" = ["DF0"]
    [rule-options.DF001]             some-option = 1

Unknown keys and bad values are errors that name the file and the key.
"""

from __future__ import annotations

import difflib
import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dockerfix.config import Config

CONFIG_NAMES = (".dockerfix.toml", "dockerfix.toml", "pyproject.toml")
FORMATS = ("text", "json", "sarif", "github")


class ConfigError(Exception):
    """A config file that cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class Settings:
    """What a config file says: the engine's `Config` plus what only the CLI uses."""

    config: Config = field(default_factory=Config)
    path: Path | None = None  # the file it came from
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    exclude: tuple[str, ...] = ()
    respect_gitignore: bool = True
    format: str | None = None

    @property
    def base(self) -> Path:
        """The directory that relative patterns (exclude, per-file-ignores) are relative to."""
        return self.path.parent if self.path is not None else Path.cwd()


def find(start: Path) -> Path | None:
    """The nearest config file in `start` or one of its parents (a pyproject.toml counts only
    if it has a `[tool.dockerfix]` table)."""
    directory = Path(os.path.abspath(start))
    if not directory.is_dir():
        directory = directory.parent
    for candidate_dir in (directory, *directory.parents):
        for name in CONFIG_NAMES:
            candidate = candidate_dir / name
            if not candidate.is_file():
                continue
            if name != "pyproject.toml" or _has_tool_table(candidate):
                return candidate
    return None


def _has_tool_table(pyproject: Path) -> bool:
    try:
        data = pyproject.read_bytes()
    except OSError:
        return False
    if b"tool.dockerfix" not in data and b"dockerfix" not in data:
        return False
    try:
        parsed = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError):
        return False
    return isinstance(parsed.get("tool"), dict) and "dockerfix" in parsed["tool"]


def load(path: Path, is_known_selector: Callable[[str], bool]) -> Settings:
    """Read and validate one config file."""
    try:
        data = tomllib.loads(path.read_bytes().decode("utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    if path.name == "pyproject.toml":
        table = data.get("tool", {}).get("dockerfix", {})
        where = "[tool.dockerfix]"
    else:
        table = data
        where = ""
    return _Reader(path, where, is_known_selector).settings(table)


class _Reader:
    def __init__(self, path: Path, where: str, is_known_selector: Callable[[str], bool]) -> None:
        self.path = path
        self.where = where
        self.is_known_selector = is_known_selector

    def error(self, key: str, problem: str) -> ConfigError:
        prefix = f"{self.where} " if self.where else ""
        return ConfigError(f"{self.path}: {prefix}{key}: {problem}")

    def settings(self, table: Mapping[str, Any]) -> Settings:
        if not isinstance(table, Mapping):
            raise ConfigError(f"{self.path}: {self.where or 'the file'} must be a table")
        for key in table:
            if key not in _KEYS:
                close = difflib.get_close_matches(key.replace("_", "-"), _KEYS, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise self.error(key, f"unknown key{hint}")
        get = table.get
        config = Config(
            select=self.selectors("select", get("select", [])),
            extend_select=self.selectors("extend-select", get("extend-select", [])),
            ignore=self.selectors("ignore", get("ignore", [])),
            unsafe_fixes=self.boolean("unsafe-fixes", get("unsafe-fixes", False)),
            syntax_directive=self.syntax("syntax-directive", get("syntax-directive")),
            secret_patterns=self.strings("secret-patterns", get("secret-patterns", [])),
            rule_options=self.rule_options("rule-options", get("rule-options", {})),
        )
        fmt = get("format")
        if fmt is not None and fmt not in FORMATS:
            raise self.error("format", f"expected one of {', '.join(FORMATS)}, got {fmt!r}")
        return Settings(
            config=config,
            path=self.path,
            per_file_ignores=self.per_file_ignores(get("per-file-ignores", {})),
            exclude=self.strings("exclude", get("exclude", [])),
            respect_gitignore=self.boolean("respect-gitignore", get("respect-gitignore", True)),
            format=fmt,
        )

    def boolean(self, key: str, value: object) -> bool:
        if not isinstance(value, bool):
            raise self.error(key, f"expected true or false, got {value!r}")
        return value

    def strings(self, key: str, value: object) -> tuple[str, ...]:
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise self.error(key, f"expected a list of non-empty strings, got {value!r}")
        return tuple(value)

    def selectors(self, key: str, value: object) -> tuple[str, ...]:
        selectors = self.strings(key, value)
        for selector in selectors:
            if not self.is_known_selector(selector):
                raise self.error(key, f"unknown rule or code prefix {selector!r}")
        return selectors

    def syntax(self, key: str, value: object) -> str:
        if value is None:
            return Config().syntax_directive
        if not isinstance(value, str) or not value.strip() or any(c.isspace() for c in value):
            raise self.error(
                key, f"expected an image reference such as 'docker/dockerfile:1', got {value!r}"
            )
        return value

    def per_file_ignores(self, value: object) -> tuple[tuple[str, tuple[str, ...]], ...]:
        if not isinstance(value, Mapping):
            raise self.error(
                "per-file-ignores", f"expected a table of glob = [codes], got {value!r}"
            )
        return tuple(
            (glob, self.selectors(f"per-file-ignores.{glob!r}", codes))
            for glob, codes in value.items()
        )

    def rule_options(self, key: str, value: object) -> dict[str, dict[str, Any]]:
        if not isinstance(value, Mapping):
            raise self.error(key, f"expected a table of rule = {{options}}, got {value!r}")
        options = {}
        for rule, table in value.items():
            if rule == "ALL" or not self.is_known_selector(rule):
                raise self.error(f"{key}.{rule}", "unknown rule (use a rule code or name)")
            if not isinstance(table, Mapping):
                raise self.error(f"{key}.{rule}", f"expected a table of options, got {table!r}")
            options[rule] = dict(table)
        return options


_KEYS = (
    "select",
    "extend-select",
    "ignore",
    "unsafe-fixes",
    "syntax-directive",
    "secret-patterns",
    "rule-options",
    "per-file-ignores",
    "exclude",
    "respect-gitignore",
    "format",
)


class PerFileIgnores:
    """Glob -> codes, like ruff: globs are relative to the config file's directory, and a glob
    without a slash matches a file name anywhere."""

    def __init__(self, entries: tuple[tuple[str, tuple[str, ...]], ...], base: Path) -> None:
        from dockerfix.files import PathFilter  # noqa: PLC0415

        self.entries = [(PathFilter([glob], base), codes) for glob, codes in entries]

    def __bool__(self) -> bool:
        return bool(self.entries)

    def codes_for(self, path: Path) -> tuple[str, ...]:
        codes: list[str] = []
        for matcher, ignored in self.entries:
            if matcher.matches(path, is_dir=False):
                codes.extend(ignored)
        return tuple(dict.fromkeys(codes))
