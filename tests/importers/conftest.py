"""Importer tests need no database: files go to tmp_path and are read back."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest


@pytest.fixture
def write(tmp_path: Path) -> Callable[..., Path]:
    """write("a,b\\n1,2\\n") → a file (str is encoded as UTF-8 unless `encoding` says)."""
    counter = iter(range(1000))

    def make(content: str | bytes, *, encoding: str = "utf-8", name: str = "") -> Path:
        path = tmp_path / (name or f"file{next(counter)}.csv")
        path.write_bytes(content.encode(encoding) if isinstance(content, str) else content)
        return path

    return make
