"""The result cache: a file whose content, settings and dockerfix are unchanged is not checked
again (as ruff and black do).

Each file has one entry per run settings (mode, rules, options), named by a hash of those
settings, the file's displayed path and its per-file ignores; it holds the file's
`FileResult` as JSON and a hash of what else the result depends on: the file's text, its
`.dockerignore`, and dockerfix itself (its version and the size and time of every module and
the grammar, so an edited checkout does not reuse stale results). A changed file replaces its
entry, so the cache grows with the number of files, not of edits. Entries are written
atomically; an unreadable, corrupt or stale entry is a miss, an unwritable cache directory
only costs the time it would have saved.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import asdict, dataclass
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any, NamedTuple

from dockerfix.report import FileError, FileResult, Finding, Mode, Range, Replacement

DIRECTORY_NAME = ".dockerfix_cache"
_TAG = "Signature: 8a477f597d28d172789f06886806bc55\n# dockerfix's result cache\n"


class Key(NamedTuple):
    entry: str  # the entry's file name: the settings, the path and its per-file ignores
    inputs: str  # the rest: text, .dockerignore, dockerfix itself


@dataclass(frozen=True)
class ResultCache:
    directory: Path  # the versioned directory holding the entries
    settings: str  # what the run's results depend on besides the file (`Job`, in words)
    fingerprint: str  # dockerfix itself

    @classmethod
    def at(cls, root: Path, settings: str) -> ResultCache:
        return cls(root / _version(), settings, _fingerprint())

    def key(
        self, display: str, text: str, ignore: tuple[str, ...], dockerignore: str | None
    ) -> Key:
        entry = _digest(self.settings, display, ",".join(ignore))
        inputs = _digest(
            self.fingerprint, "-" if dockerignore is None else "+" + dockerignore, text
        )
        return Key(entry, inputs)

    def get(self, key: Key) -> FileResult | None:
        try:
            stored = json.loads((self.directory / key.entry).read_bytes())
            if stored["inputs"] != key.inputs:
                return None
            return _decode(stored["result"])
        except (OSError, ValueError, TypeError, KeyError):
            return None

    def put(self, key: Key, result: FileResult) -> None:
        try:
            self._prepare()
            fd, temporary = tempfile.mkstemp(dir=self.directory, prefix=".tmp-")
            try:
                with os.fdopen(fd, "wb") as handle:
                    stored = {"inputs": key.inputs, "result": asdict(result)}
                    handle.write(json.dumps(stored).encode())
                os.replace(temporary, self.directory / key.entry)
            except BaseException:
                os.unlink(temporary)
                raise
        except OSError:
            pass

    def _prepare(self) -> None:
        if self.directory.is_dir():
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        root = self.directory.parent
        # Git ignores it, and backup tools that honour CACHEDIR.TAG skip it.
        (root / ".gitignore").write_text("*\n")
        (root / "CACHEDIR.TAG").write_text(_TAG)


def _digest(*parts: str) -> str:
    digest = hashlib.blake2b(digest_size=20)
    for part in parts:
        digest.update(part.encode("utf-8", "surrogatepass") + b"\0")
    return digest.hexdigest()


def reusable(result: FileResult, mode: Mode) -> bool:
    """Whether a result may be stored: not one that depends on the file system rather than
    the text (input and write errors), not a crash, not a file that --write just changed."""
    if result.error is not None and result.error.kind != "parse":
        return False
    return not (mode is Mode.WRITE and result.changed)


@cache
def _version() -> str:
    try:
        return metadata.version("dockerfix")
    except metadata.PackageNotFoundError:  # pragma: no cover - run from a bare checkout
        return "source"


def _fingerprint() -> str:
    package = Path(__file__).parent
    files = sorted(package.rglob("*.py")) + sorted(package.rglob("*.lark"))
    grammar = package.parent / "grammar" / "dockerfile.lark"
    if grammar.exists():
        files.append(grammar)
    stamps = []
    for path in files:
        info = path.stat()
        stamps.append(f"{path.relative_to(package.parent)}:{info.st_size}:{info.st_mtime_ns}")
    return _version() + "\n" + "\n".join(stamps)


def _decode(data: dict[str, Any]) -> FileResult:
    error = data["error"]
    return FileResult(
        **{
            **data,
            "findings": _findings(data["findings"]),
            "fixes": _findings(data["fixes"]),
            "remaining": _findings(data["remaining"]),
            "refused": _findings(data["refused"]),
            "build_flags": tuple(data["build_flags"]),
            "error": FileError(**error) if error is not None else None,
        }
    )


def _findings(items: list[dict[str, Any]]) -> tuple[Finding, ...]:
    return tuple(
        Finding(
            **{
                **item,
                "range": Range(**item["range"]),
                "edits": tuple(
                    Replacement(Range(**edit["range"]), edit["text"]) for edit in item["edits"]
                ),
                "build_flags": tuple(item["build_flags"]),
            }
        )
        for item in items
    )
