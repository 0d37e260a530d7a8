"""The open documents: their text, kept in sync with the editor through incremental changes.

pygls keeps documents too, but splits lines with `str.splitlines` (which also breaks at form
feeds, U+2028 and friends, unlike LSP), so the server keeps its own.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

from lsprotocol import types
from pygls.uris import to_fs_path

from dockerfix.files import is_dockerfile_name
from dockerfix_lsp.positions import LineIndex

logger = logging.getLogger(__name__)

DOCKERFILE_LANGUAGES = frozenset({"dockerfile", "containerfile"})


@dataclass
class Document:
    uri: str
    language_id: str
    version: int
    text: str
    _index: LineIndex | None = field(default=None, repr=False)
    changed_at: float = 0.0  # perf_counter() of the last change (for the debug log)

    @property
    def index(self) -> LineIndex:
        """The position index of the current text (built on first use after a change)."""
        if self._index is None or self._index.text is not self.text:
            self._index = LineIndex(self.text)
        return self._index

    @property
    def path(self) -> Path | None:
        """The file behind a `file:` URI, else None."""
        if not self.uri.startswith("file:"):
            return None
        try:
            fs_path = to_fs_path(self.uri)
        except Exception:  # a malformed URI: treat it as having no file
            return None
        return Path(fs_path) if fs_path else None

    @property
    def is_dockerfile(self) -> bool:
        """Checked when the editor calls it a Dockerfile, or its name is one the CLI checks."""
        if self.language_id.lower() in DOCKERFILE_LANGUAGES:
            return True
        name = self.uri.rstrip("/").rsplit("/", 1)[-1]
        return is_dockerfile_name(unquote(name))

    def apply(self, change: types.TextDocumentContentChangeEvent) -> None:
        """Apply one content change (a range replacement, or the whole text)."""
        if isinstance(change, types.TextDocumentContentChangePartial):
            index = self.index
            start = index.offset(change.range.start)
            end = index.offset(change.range.end)
            if end < start:
                logger.warning("%s: change range ends before it starts; swapped", self.uri)
                start, end = end, start
            if _out_of_range(index, change.range):
                logger.warning(
                    "%s: change range %s is outside the document; clamped", self.uri, change.range
                )
            text = self.text
            self.text = text[:start] + change.text + text[end:]
        else:
            self.text = change.text
        self._index = None


def _out_of_range(index: LineIndex, range_: types.Range) -> bool:
    for position in (range_.start, range_.end):
        if position.line < 0 or position.character < 0 or position.line >= index.line_count:
            return True
    return False


class Documents:
    """Open documents by URI."""

    def __init__(self) -> None:
        self._documents: dict[str, Document] = {}

    def open(self, item: types.TextDocumentItem) -> Document:
        document = Document(item.uri, item.language_id or "", item.version, item.text)
        self._documents[item.uri] = document
        return document

    def get(self, uri: str) -> Document | None:
        return self._documents.get(uri)

    def close(self, uri: str) -> Document | None:
        return self._documents.pop(uri, None)

    def __iter__(self) -> Iterator[Document]:
        return iter(list(self._documents.values()))

    def __len__(self) -> int:
        return len(self._documents)
