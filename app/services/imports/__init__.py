"""The import service shared by the admin wizard, the CLI and the worker.

create_batch → save_mapping → preview → commit → (undo); export_rows for CSV exports.
Every function takes the session first and flushes; the caller owns the one commit.
File reading is injected (`reader`, see importers.sources.READER), so services never
import the importers package.
"""

from app.services.imports.batches import (
    Created,
    FileReader,
    clean_filename,
    clean_source,
    create_batch,
    headers_of,
    local_copy,
    mark_failed,
    remembered_mapping,
    save_mapping,
    write_progress,
)
from app.services.imports.errors import ImportProblem
from app.services.imports.export import ExportFilter, export_rows
from app.services.imports.parsecache import ParseCache
from app.services.imports.parsecache import from_config as parse_cache
from app.services.imports.pipeline import Analysis, commit, preview, share_parse
from app.services.imports.report import safe_cell, write_csv_rows
from app.services.imports.undo import undo

__all__ = [
    "Analysis",
    "Created",
    "ExportFilter",
    "FileReader",
    "ImportProblem",
    "ParseCache",
    "clean_filename",
    "clean_source",
    "commit",
    "create_batch",
    "export_rows",
    "headers_of",
    "local_copy",
    "mark_failed",
    "parse_cache",
    "preview",
    "remembered_mapping",
    "safe_cell",
    "save_mapping",
    "share_parse",
    "undo",
    "write_csv_rows",
    "write_progress",
]
