"""One loader for "a path, raw bytes or a file object": every reader takes any of the three.

Transcripts, codebooks and tables are read from the command line (paths), from notebooks (bytes) and from
Streamlit uploads (file objects). Each used to have its own copy of this; one copy means one size check
before anything is read into memory and one way of naming the input in errors.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from toolkit.errors import ToolkitError

__all__ = ["Source", "SourceLike", "read_source"]

SourceLike = str | Path | bytes | BinaryIO
"""What a reader accepts: a path (``str`` or ``Path``), the bytes themselves, or a binary file object."""


@dataclass(frozen=True)
class Source:
    """The bytes of one input and the name errors use for it (the path, or the upload's name)."""

    data: bytes
    display: str
    path: Path | None = None

    @property
    def stem(self) -> str:
        """The file name without its suffix (a document's default name)."""
        return Path(self.display).stem

    @property
    def suffix(self) -> str:
        """The lower-cased suffix, or '' when the input has no name with one."""
        return Path(self.display).suffix.lower()


def read_source(
    source: SourceLike,
    name: str | None = None,
    *,
    limit: int,
    error: type[ToolkitError],
    what: str = "file",
) -> Source:
    """Read ``source`` whole, refusing a missing path or more than ``limit`` bytes with ``error``.

    A path's size is checked before it is read; a file object is read at most ``limit + 1`` bytes, so an
    oversized upload is refused without holding all of it.

    Example:
        >>> from toolkit.errors import InputFileError
        >>> read_source(b"Q: Hi?", name="S00.txt", limit=100, error=InputFileError).stem
        'S00'
    """
    if isinstance(source, str | Path):
        path = Path(source)
        if not path.is_file():
            raise error(f"no such {what}", file=str(path))
        size = path.stat().st_size
        if size > limit:
            raise error(f"{what} is {size:,} bytes (limit {limit:,})", file=str(path))
        return Source(path.read_bytes(), str(path), path)
    data = source if isinstance(source, bytes) else source.read(limit + 1)
    display = name or getattr(source, "name", None) or "<upload>"
    if len(data) > limit:
        raise error(f"{what} is over {limit:,} bytes (limit {limit:,})", file=display)
    return Source(data, str(display))
