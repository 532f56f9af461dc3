"""Errors kmervae reports to the user: each message names the file, the record and the problem."""

from __future__ import annotations


class KmervaeError(Exception):
    """An error caused by the user's input or configuration, reported without a traceback."""


class InputError(KmervaeError):
    """Bad input: names the file and, where it applies, the record."""

    def __init__(self, path, problem: str, record: str | None = None, line: int | None = None):
        self.path = str(path)
        self.problem = problem
        self.record = record
        self.line = line
        where = f"file {self.path}"
        if record is not None:
            where += f", record {record!r}"
        if line is not None:
            where += f" (line {line})"
        super().__init__(f"{where}: {problem}")


def open_input(path, what: str, newline: str | None = None):
    """``path`` opened as UTF-8 text, or an InputError that says there is no such
    ``what`` (a file that is missing, a directory, or unreadable)."""
    try:
        return open(path, encoding="utf-8", newline=newline)
    except FileNotFoundError:
        raise InputError(path, f"no such {what}") from None
    except IsADirectoryError:
        raise InputError(path, f"a directory, not a {what}") from None
    except PermissionError:
        raise InputError(path, f"{what} not readable (permission denied)") from None
