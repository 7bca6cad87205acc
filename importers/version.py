"""The code a parse's result depends on, digested: part of the parse cache's key.

A kept parse (app/services/imports/parsecache.py) is valid as long as the code that made it
is the same. That code is this package and the project modules it imports by name — name
normalization, the staging rows' COPY format, the model constants it checks against — and
the modules those import, found by reading their import statements (not by importing
anything). Package `__init__` modules only re-export and are not followed through, so a
change to the public site, the admin, the jobs or the rest of the import service keeps every
kept parse; a change to anything a parse runs does not (tests/importers/test_version.py
traces a parse of every format and checks each function it calls is covered).
"""

from __future__ import annotations

import ast
import functools
import hashlib
import sys
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("app", "importers")
# Besides this package: the code that writes a parse's rows to the cache.
EXTRA_ROOTS = ("app.services.imports.staging", "app.services.imports.parsefork")


def _file_of(module: str) -> Path | None:
    path = ROOT.joinpath(*module.split("."))
    for candidate in (path / "__init__.py", path.with_suffix(".py")):
        if candidate.is_file():
            return candidate
    return None


def _imports_of(module: str, path: Path) -> set[str]:
    """The project modules `module` imports by name (`from a.b import c`: a.b.c if that is a
    module, else a.b)."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_bytes(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            for alias in node.names:
                name = f"{base}.{alias.name}"
                found.add(name if _file_of(name) else base)
    return {name for name in found if name.split(".")[0] in PACKAGES}


def parse_modules() -> list[Path]:
    """The source files a parse depends on, sorted."""
    here = Path(__file__).resolve().parent
    todo = [f"importers.{path.stem}" for path in here.glob("*.py") if path.stem != "__init__"]
    todo += EXTRA_ROOTS
    seen: dict[str, Path] = {}
    while todo:
        module = todo.pop()
        path = _file_of(module)
        if module in seen or path is None:
            continue
        seen[module] = path
        todo.extend(_imports_of(module, path))
    return sorted(set(seen.values()))


@functools.cache
def code_version() -> str:
    """A digest of everything a parse's result depends on besides the file, the mapping and
    the year: the source files of `parse_modules()`, the Python version and its Unicode
    tables (NFC, case folding)."""
    digest = hashlib.sha256(f"{sys.version}|{unicodedata.unidata_version}".encode())
    for path in parse_modules():
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]
