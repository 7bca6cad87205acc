"""The one exception the import pipeline raises for bad input or a refused step."""

from __future__ import annotations


class ImportProblem(Exception):
    """Bad input or a refused operation; the message is written for the person importing.

    `line` and `column` say where, when the problem has a place in the file.
    """

    def __init__(self, message: str, *, line: int | None = None, column: str | None = None):
        where = f"Line {line}: " if line is not None else ""
        super().__init__(where + message)
        self.line = line
        self.column = column
