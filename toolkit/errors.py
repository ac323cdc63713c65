"""Errors a researcher can act on: each names the file, the line and what to do.

Every error raised on bad input is a :class:`ToolkitError`; the CLI turns it into exit code 2 and a
one-line message. Codes are stable (``E101``...) so that documentation and tests can refer to them.
"""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "AccessError",
    "AlreadyDecidedError",
    "BlindModeError",
    "CodebookError",
    "CodingsError",
    "ConfigError",
    "ConflictError",
    "InputFileError",
    "NotFoundError",
    "StaleVersionError",
    "StoreError",
    "ToolkitError",
    "ValueLimitError",
]


class ToolkitError(Exception):
    """A user-facing error with a stable code and, where known, a file and line."""

    code = "E000"

    def __init__(self, message: str, *, file: str | Path | None = None, line: int | None = None) -> None:
        self.message = message
        self.file = str(file) if file is not None else None
        self.line = line
        super().__init__(self.__str__())

    def __str__(self) -> str:
        where = ""
        if self.file is not None:
            where = f"{self.file}"
            if self.line is not None:
                where += f", line {self.line}"
            where += ": "
        return f"[{self.code}] {where}{self.message}"


class ConfigError(ToolkitError):
    """A setting out of its range (a threshold, a model name, a parameter)."""

    code = "E010"


class StoreError(ToolkitError):
    """The store cannot be opened or is of another schema version."""

    code = "E100"


class AccessError(ToolkitError):
    """Not signed in, a wrong name or password, or a role too low for what was asked; nothing was done."""

    code = "E150"


class InputFileError(ToolkitError):
    """A transcript or attribute file that cannot be read as asked."""

    code = "E200"


class CodebookError(ToolkitError):
    """A codebook file that does not validate."""

    code = "E300"


class CodingsError(ToolkitError):
    """A codings file row that cannot be applied."""

    code = "E400"


class NotFoundError(ToolkitError):
    """A named document, code or coder that does not exist in the store."""

    code = "E500"


class BlindModeError(ToolkitError):
    """A request for other coders' codings while blind coding is on."""

    code = "E700"


class ConflictError(ToolkitError):
    """Another user or process wrote the same thing at the same moment; this command wrote nothing."""

    code = "E800"


class StaleVersionError(ConflictError):
    """Someone else changed this coding or suggestion since it was shown; this change was not made."""

    code = "E820"


class ValueLimitError(ToolkitError):
    """A value the store cannot hold the same way on every back-end (too long, or a NUL character)."""

    code = "E810"


class AlreadyDecidedError(ToolkitError):
    """Someone decided this suggestion first; nothing was changed."""

    code = "E600"
