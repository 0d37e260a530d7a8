"""What a check finds: diagnostics, and the fixes they carry as text edits."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from dockerfix.compat import cached_property
from dockerfix.syntax.nodes import Location
from dockerfix.syntax.transform import Edit


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


class Safety(StrEnum):
    """A safe fix keeps the build's meaning; an unsafe one needs a human (or a build flag)."""

    SAFE = "safe"
    UNSAFE = "unsafe"


@dataclass(frozen=True)
class Fix:
    """A fix's title, safety and text edits; the edits are worked out when first asked for,
    since reporting diagnostics (the common case) does not need them."""

    title: str
    safety: Safety
    compute: Callable[[], tuple[Edit, ...]] = field(repr=False, compare=False)

    @cached_property
    def edits(self) -> tuple[Edit, ...]:
        return self.compute()


@dataclass(frozen=True, slots=True)
class Diagnostic:
    code: str
    name: str
    message: str
    start: int
    end: int
    location: Location
    end_location: Location
    severity: Severity = Severity.WARNING
    fix: Fix | None = None
    # Build flags the fixed file needs, e.g. ("--secret id=NPM_TOKEN,env=NPM_TOKEN",).
    build_flags: tuple[str, ...] = field(default=())
    url: str | None = None
