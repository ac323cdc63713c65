"""Files and folders readable by their owner only, whatever the umask.

Stores, their WAL and shared-memory files, backups, exports and reports hold transcript text: the
toolkit creates them with mode 0600 (folders 0700) and sets that mode explicitly, because a umask of 022
would otherwise leave them readable by every account on the machine.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = [
    "FILE_MODE",
    "FOLDER_MODE",
    "create_private_file",
    "private_folder",
    "write_private_bytes",
    "write_private_text",
]

FILE_MODE = 0o600
FOLDER_MODE = 0o700


def private_folder(path: str | Path) -> Path:
    """Create ``path`` and any missing parents as 0700 folders; folders that exist keep their mode."""
    path = Path(path)
    missing = []
    probe = path
    while not probe.exists():
        missing.append(probe)
        if probe.parent == probe:
            break
        probe = probe.parent
    for folder in reversed(missing):
        folder.mkdir(mode=FOLDER_MODE, exist_ok=True)
        folder.chmod(FOLDER_MODE)
    return path


def create_private_file(path: str | Path) -> Path:
    """Make sure ``path`` exists as a 0600 file (created empty if missing; an existing file is narrowed)."""
    path = Path(path)
    private_folder(path.parent)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)
    finally:
        os.close(fd)
    return path


def write_private_bytes(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to a 0600 file (replacing its content)."""
    path = Path(path)
    private_folder(path.parent)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)
        with os.fdopen(fd, "wb", closefd=False) as handle:
            handle.write(data)
    finally:
        os.close(fd)
    return path


def write_private_text(path: str | Path, text: str, encoding: str = "utf-8") -> Path:
    """Write ``text`` to a 0600 file."""
    return write_private_bytes(path, text.encode(encoding))
