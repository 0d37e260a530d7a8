"""The file side of the CLI: finding Dockerfiles, reading them safely, writing them atomically.

Nothing here knows about rules. Reading refuses anything that is not a regular UTF-8 text file of
a sane size, with a one-line reason; writing replaces a file in one step (temp file in the same
directory, fsync, rename), keeping its mode bits, so a crash or Ctrl-C leaves it old or new.
Line endings and a BOM survive because the text is decoded and encoded as is: the BOM stays in
the text as U+FEFF (the parser keeps it as a token), and no newline translation happens.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

if TYPE_CHECKING:
    from pathspec import GitIgnoreSpec

# Far above any real Dockerfile (the largest public ones are a few hundred KiB).
MAX_BYTES = 10 * 1024 * 1024

# Directories never searched (they hold other people's files or tool state).
DEFAULT_EXCLUDED_DIRS = frozenset(
    {
        ".git", ".hg", ".svn", ".bzr", ".jj", ".tox", ".nox", ".venv", ".direnv",
        "node_modules", "__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache",
    }
)  # fmt: skip

# Names that match `Dockerfile.*` but are not Dockerfiles.
_NOT_DOCKERFILE_SUFFIXES = (".dockerignore", ".orig", ".rej", ".bak", ".swp", "~")


def is_dockerfile_name(name: str) -> bool:
    """`Dockerfile`, `Containerfile`, `Dockerfile.*`, `*.Dockerfile`, `*.containerfile`..."""
    lower = name.lower()
    if lower in ("dockerfile", "containerfile"):
        return True
    if lower.endswith(_NOT_DOCKERFILE_SUFFIXES):
        return False
    if lower in (".dockerfile", ".containerfile"):
        return False
    return lower.startswith("dockerfile.") or lower.endswith((".dockerfile", ".containerfile"))


# -- reading ------------------------------------------------------------------------------


class SourceError(Exception):
    """A file that cannot be processed: `message` is one line; line/column when known."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


@dataclass(frozen=True)
class Source:
    text: str
    path: Path | None = None  # the real file to write to (symlinks resolved); None for stdin
    stat: os.stat_result | None = None


def decode(data: bytes) -> str:
    """The text of a Dockerfile's bytes; a UTF-8 BOM stays in the text as U+FEFF."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise SourceError("not UTF-8 text (it starts with a UTF-16 byte-order mark)")
    nul = data.find(b"\x00")
    if nul >= 0:
        line, column = _position(data, nul)
        raise SourceError("binary file (it contains NUL bytes), not a Dockerfile", line, column)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, column = _position(data, exc.start)
        raise SourceError(
            f"not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})", line, column
        ) from None


def _position(data: bytes, offset: int) -> tuple[int, int]:
    line_start = data.rfind(b"\n", 0, offset) + 1
    column = len(data[line_start:offset].decode("utf-8", errors="replace")) + 1
    return data.count(b"\n", 0, offset) + 1, column


def read_source(path: Path) -> Source:
    """Read a Dockerfile, refusing what is not one with a clear one-line reason."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        if os.path.islink(path):
            raise SourceError(f"broken symbolic link (to {os.readlink(path)})") from None
        raise SourceError("no such file") from None
    except OSError as exc:
        raise SourceError(f"cannot read: {exc.strerror or exc}") from None
    if stat.S_ISDIR(info.st_mode):
        raise SourceError("is a directory, not a Dockerfile")
    if not stat.S_ISREG(info.st_mode):
        raise SourceError("not a regular file")
    if info.st_size > MAX_BYTES:
        raise SourceError(_too_large(info.st_size))
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        raise SourceError(f"cannot read: {exc.strerror or exc}") from None
    if len(data) > MAX_BYTES:
        raise SourceError(_too_large(len(data)))
    return Source(decode(data), Path(os.path.realpath(path)), info)


def read_stream(stream: BinaryIO) -> str:
    data = stream.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise SourceError(_too_large(len(data)))
    return decode(data)


def _too_large(size: int) -> str:
    return f"too large ({size:,} bytes; the limit is {MAX_BYTES // (1024 * 1024)} MiB)"


def read_dockerignore(dockerfile: Path) -> str | None:
    """The ignore file BuildKit would use: `<name>.dockerignore` beside it, else `.dockerignore`.

    (BuildKit reads `.dockerignore` from the context root; the Dockerfile's own directory is the
    usual context, and the best guess a linter has.) Unreadable ignore files count as absent.
    """
    for name in (f"{dockerfile.name}.dockerignore", ".dockerignore"):
        candidate = dockerfile.parent / name
        try:
            if candidate.stat().st_size > MAX_BYTES:
                continue
            return decode(candidate.read_bytes())
        except (OSError, SourceError):
            continue
    return None


# -- writing ------------------------------------------------------------------------------


def atomic_write(path: Path, data: bytes, *, expected: os.stat_result | None = None) -> None:
    """Replace `path` with `data` in one step: a crash leaves the old file or the new one.

    The temp file lives in the same directory (so the rename is atomic), gets the original's
    mode bits (and owner, where allowed), is fsynced, then renamed over the original; the
    directory is fsynced too. If `expected` is given and the file changed since it was read,
    nothing is written.
    """
    current = os.stat(path)
    if expected is not None and (current.st_mtime_ns, current.st_size) != (
        expected.st_mtime_ns,
        expected.st_size,
    ):
        raise SourceError("changed on disk while dockerfix was running; left as it is")
    directory = path.parent
    fd = -1
    temp = ""
    try:
        fd, temp = _mkstemp(directory, path.name)
        with os.fdopen(fd, "wb") as handle:
            fd = -1  # the file object owns it now
            handle.write(data)
            handle.flush()
            os.fchmod(handle.fileno(), stat.S_IMODE(current.st_mode))
            with contextlib.suppress(OSError):  # only root may give files away
                os.fchown(handle.fileno(), current.st_uid, current.st_gid)
            os.fsync(handle.fileno())
        os.replace(temp, path)
        temp = ""
    except OSError as exc:
        raise SourceError(f"cannot write: {exc.strerror or exc}") from None
    finally:
        if fd >= 0:
            os.close(fd)
        if temp:
            with contextlib.suppress(OSError):
                os.unlink(temp)
    _fsync_directory(directory)


def _mkstemp(directory: Path, name: str) -> tuple[int, str]:
    import tempfile  # noqa: PLC0415 - only writes need it

    return tempfile.mkstemp(prefix=f".{name}.", suffix=".dockerfix-tmp", dir=directory)


def _fsync_directory(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)


# -- discovery ----------------------------------------------------------------------------


@dataclass
class Discovery:
    files: list[Path] = field(default_factory=list)
    # Files found by a search that cannot be read (broken symlinks...): reported as errors.
    errors: list[tuple[Path, str]] = field(default_factory=list)
    # Oddities worth a warning that do not fail the run (a directory named `Dockerfile`).
    warnings: list[tuple[Path, str]] = field(default_factory=list)
    # What the search skipped, and why (shown with --verbose).
    skipped: list[tuple[Path, str]] = field(default_factory=list)


class PathFilter:
    """Gitignore-style patterns (`--exclude`, config `exclude`) relative to a base directory."""

    def __init__(self, patterns: Sequence[str], base: Path) -> None:
        self.patterns = tuple(patterns)
        self.base = Path(os.path.abspath(base))
        self._spec = _compile(self.patterns) if self.patterns else None

    def matches(self, path: Path, is_dir: bool) -> bool:
        if self._spec is None:
            return False
        absolute = Path(os.path.abspath(path))
        try:
            relative = absolute.relative_to(self.base).as_posix()
        except ValueError:
            relative = absolute.as_posix().lstrip("/")
        if not relative or relative == ".":
            return False
        return bool(self._spec.match_file(relative + "/" if is_dir else relative))


def _compile(lines: Iterable[str]) -> GitIgnoreSpec:
    from pathspec import GitIgnoreSpec  # noqa: PLC0415 - slow to import; only when needed

    return GitIgnoreSpec.from_lines(list(lines))


@dataclass(frozen=True)
class _Ignore:
    base: Path
    spec: GitIgnoreSpec


def discover(
    paths: Sequence[Path],
    *,
    exclude: Sequence[PathFilter] = (),
    respect_gitignore: bool = True,
) -> Discovery:
    """The Dockerfiles under `paths`, sorted per argument; explicit files are always kept."""
    found = Discovery()
    seen: set[str] = set()

    def add(path: Path, real: str) -> None:
        if real not in seen:
            seen.add(real)
            found.files.append(path)

    for path in paths:
        try:
            info = os.stat(path)
        except FileNotFoundError:
            if os.path.islink(path):
                found.errors.append((path, f"broken symbolic link (to {os.readlink(path)})"))
            else:
                found.errors.append((path, "no such file or directory"))
            continue
        except OSError as exc:
            found.errors.append((path, f"cannot read: {exc.strerror or exc}"))
            continue
        if not stat.S_ISDIR(info.st_mode):
            add(path, os.path.realpath(path))  # explicit: always processed (read_source judges)
            continue
        before = len(found.files) + len(found.errors)
        _walk(path, found, add, exclude, respect_gitignore)
        if len(found.files) + len(found.errors) == before and is_dockerfile_name(path.name):
            found.errors.append((path, "is a directory, not a Dockerfile"))
    return found


def _walk(
    root: Path,
    found: Discovery,
    add: Callable[[Path, str], None],
    exclude: Sequence[PathFilter],
    respect_gitignore: bool,
) -> None:
    tree = os.path.realpath(root)
    ignores = _parent_gitignores(Path(tree)) if respect_gitignore else []
    visited: set[str] = set()

    def inside(real: str) -> bool:
        return real == tree or real.startswith(tree.rstrip(os.sep) + os.sep)

    def walk(directory: Path, real_dir: str, ignores: list[_Ignore]) -> None:
        if real_dir in visited:
            return
        visited.add(real_dir)
        if respect_gitignore:
            spec = _read_gitignore(Path(real_dir) / ".gitignore")
            if spec is not None:
                ignores = [*ignores, _Ignore(Path(real_dir), spec)]
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError as exc:
            found.warnings.append((directory, f"cannot list: {exc.strerror or exc}"))
            return
        for entry in entries:
            path = directory / entry.name
            try:
                is_link = entry.is_symlink()
                is_dir = entry.is_dir()  # follows symlinks
            except OSError:
                continue
            if is_dir and entry.name in DEFAULT_EXCLUDED_DIRS:
                continue
            if not is_dir and not is_dockerfile_name(entry.name):
                continue
            real = os.path.realpath(path) if is_link else os.path.join(real_dir, entry.name)
            if any(f.matches(path, is_dir) for f in exclude):
                found.skipped.append((path, "excluded"))
                continue
            if _ignored(ignores, Path(real_dir) / entry.name, is_dir):
                found.skipped.append((path, "ignored by .gitignore"))
                continue
            if is_link and not inside(real):
                found.skipped.append((path, "symbolic link out of the tree"))
                continue
            if is_dir:
                before = len(found.files) + len(found.errors)
                walk(path, real, ignores)
                if before == len(found.files) + len(found.errors) and is_dockerfile_name(
                    entry.name
                ):
                    found.warnings.append((path, "is a directory, not a Dockerfile"))
            elif is_link and not os.path.exists(path):
                found.errors.append((path, f"broken symbolic link (to {os.readlink(path)})"))
            else:
                add(path, real)

    walk(root, tree, ignores)


def _ignored(ignores: list[_Ignore], path: Path, is_dir: bool) -> bool:
    """Git's rule: the deepest .gitignore with a matching pattern decides."""
    for ignore in reversed(ignores):
        try:
            relative = path.relative_to(ignore.base).as_posix()
        except ValueError:
            continue
        result = ignore.spec.check_file(relative + "/" if is_dir else relative)
        if result.include is not None:
            return bool(result.include)
    return False


def _read_gitignore(path: Path) -> GitIgnoreSpec | None:
    try:
        data = path.read_bytes()
    except OSError:
        return None
    lines = data.decode("utf-8", errors="replace").splitlines()
    if not any(line.strip() and not line.startswith("#") for line in lines):
        return None
    return _compile(lines)


def _parent_gitignores(tree: Path) -> list[_Ignore]:
    """The .gitignore files between the enclosing repository's root and `tree` (exclusive)."""
    parents = []
    for parent in tree.parents:
        parents.append(parent)
        if (parent / ".git").exists():
            break
    else:
        return []  # not in a repository: only the tree's own .gitignore files count
    ignores = []
    for parent in reversed(parents):
        spec = _read_gitignore(parent / ".gitignore")
        if spec is not None:
            ignores.append(_Ignore(parent, spec))
    return ignores


def display_path(path: Path, cwd: Path) -> str:
    """The path relative to the working directory when it is under it, else as given."""
    if not path.is_absolute():
        return os.path.normpath(path).replace(os.sep, "/") if str(path) != "-" else "-"
    try:
        return path.relative_to(cwd).as_posix()
    except ValueError:
        return str(path)
