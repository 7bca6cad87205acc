"""Parse a big file in a forked child process while this one streams its rows to the database.

Staging a file is two kinds of work: parsing (Python, one core) and sending the COPY text
on to the database (and to the parse cache). In one process they take turns; with the
parse in a child they overlap, and the second core does the sending (benchmarks/
import_fitments.py: ~1.3 s less of a million rows' ~6 s).

The child is forked, not spawned: it starts at once with the importer code already loaded
(a fresh interpreter spends ~1 s importing it), and it shares that memory with its parent.
It only runs the source's parser, sends COPY text blocks up a pipe, then the entities the
parse found, and leaves with os._exit — never touching the database
connection, files or threads it inherited. A failure in the child (a bad file's
ImportProblem, anything else) is raised again here; a child that dies is reported as such.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import pickle
import struct
from collections.abc import Iterator
from multiprocessing.connection import Connection
from typing import Any

from app.services.imports.errors import ImportProblem
from app.services.imports.staging import (
    ROW_SHAPES,
    Entities,
    Progress,
    Row,
    RowSource,
    text_blocks,
)

MIN_FILE_BYTES = 8 * 1024 * 1024  # smaller files parse faster than a fork pays back
_BLOCK, _PROGRESS, _DONE, _FAILED = b"B", b"P", b"D", b"F"
_LINE = struct.Struct("<q")


def wanted(size_bytes: int) -> bool:
    """Whether a file of this size is parsed in a child (the platform can fork)."""
    return size_bytes >= MIN_FILE_BYTES and "fork" in multiprocessing.get_all_start_methods()


class ForkedParse:
    """A RowSource whose rows are parsed in a child process: `blocks()` yields their COPY
    text as the child makes it; `entities()` are the child's once it is done. (The file's
    warnings — its encoding — are known before the parse starts.)
    """

    def __init__(self, source: RowSource) -> None:
        self.source = source
        self.format = source.format
        self.total_lines = source.total_lines
        self.warnings: list[str] = list(source.warnings)
        self._entities: Entities | None = None

    def rows(self) -> Iterator[Row]:
        raise TypeError("a forked parse is read with blocks(), not rows()")

    def entities(self) -> Entities:
        if self._entities is None:
            raise RuntimeError("the forked parse has not finished")
        return self._entities

    def blocks(self, progress: Progress) -> Iterator[str]:
        """The rows as COPY text, parsed by a child; progress as the child reports it."""
        context = multiprocessing.get_context("fork")
        receiver, sender = context.Pipe(duplex=False)
        child = context.Process(target=_parse, args=(self.source, sender), daemon=True)
        child.start()
        sender.close()  # the child's end: EOF here when it is gone
        try:
            while True:
                try:
                    message = receiver.recv_bytes()
                except EOFError:
                    child.join(5)
                    raise ImportProblem(
                        "The file's parser stopped unexpectedly "
                        f"(exit code {child.exitcode}); nothing was imported."
                    ) from None
                kind, payload = message[:1], memoryview(message)[1:]
                if kind == _BLOCK:
                    yield str(payload, "utf-8")
                elif kind == _PROGRESS:
                    progress(_LINE.unpack(payload)[0], self.total_lines)
                elif kind == _DONE:
                    # our own child's result, produced by this very code (not outside input)
                    self._entities = pickle.loads(payload)  # noqa: S301
                    break
                else:
                    raise pickle.loads(payload)  # noqa: S301 - as above
        finally:
            receiver.close()
            if child.is_alive():
                child.terminate()
            child.join()


def _parse(source: RowSource, sender: Connection) -> None:  # pragma: no cover - child process
    """The child: parse, send, leave (os._exit: no inherited cleanup runs here)."""
    code = 0
    try:

        def report(done: int, total: int) -> None:
            sender.send_bytes(_PROGRESS + _LINE.pack(done))

        shape = ROW_SHAPES[source.format]
        for block in text_blocks(source.rows(), shape, report, source.total_lines):
            sender.send_bytes(_BLOCK + block.encode("utf-8"))
        entities = pickle.dumps(source.entities(), protocol=pickle.HIGHEST_PROTOCOL)
        sender.send_bytes(_DONE + entities)
    except BaseException as exc:  # everything goes back to the parent, which raises it
        code = 1
        try:
            failure: Any = pickle.dumps(exc)
        except Exception:  # an exception that does not pickle: its text does
            failure = pickle.dumps(RuntimeError(f"{type(exc).__name__}: {exc}"))
        with contextlib.suppress(OSError):  # a parent that went away needs no answer
            sender.send_bytes(_FAILED + failure)
    finally:
        try:
            sender.close()
        finally:
            os._exit(code)
