"""Failures of reading an extract file: each names the file, line and problem."""

from __future__ import annotations

from pathlib import Path


class ExtractError(Exception):
    """An extract file cannot be read at all; its area's partition fails, no other area does."""

    def __init__(self, path: Path | str, line: int, problem: str) -> None:
        self.path = str(path)
        self.line = line
        self.problem = problem
        super().__init__(f"{self.path}, line {line}: {problem}")


class UnreadableExtractError(ExtractError):
    """The bytes are not text in the expected encoding, or the CSV structure is broken."""


class UnknownFormVersionError(ExtractError):
    """The header row matches no known form version."""


class ExtractNameError(ExtractError):
    """The file name or folder does not follow `<area_slug>/<area_slug>-<YYYY-MM>.csv`."""


class ExtractContentError(ExtractError):
    """The file reads, but as a whole it is wrong: no case rows, a repeated header, or rows
    whose inspection or area contradict the file's name or folder."""
