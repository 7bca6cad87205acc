"""Open an uploaded file as a row source for its format: the one entry point callers use."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from importers.base import FileSource
from importers.ebay import EbayCompatibility
from importers.fitments import FitmentSheet
from importers.mapping import check_mapping, detect_format, merge_remembered, require_valid
from importers.readers import FileInfo, inspect
from importers.retailer_feed import RetailerFeed
from importers.vehicles import VehicleList
from importers.version import code_version

SOURCES: dict[str, type[FileSource]] = {
    "fitments": FitmentSheet,
    "ebay": EbayCompatibility,
    "retailer_feed": RetailerFeed,
    "vehicles": VehicleList,
}


def open_source(
    path: Path,
    format_name: str,
    mapping: Mapping[str, Any],
    *,
    this_year: int,
    info: FileInfo | None = None,
) -> FileSource:
    """Inspect the file (unless `info` is given), check the mapping, return its row source."""
    info = info or inspect(path)
    require_valid(mapping, format_name, info.headers)
    return SOURCES[format_name](path, info, mapping, this_year=this_year)


class Reader:
    """The FileReader the import service takes (app/services/imports/batches.py)."""

    @property
    def version(self) -> str:
        return code_version()

    def inspect(self, path: Path) -> FileInfo:
        return inspect(path)

    def detect_format(self, headers: list[str]) -> str | None:
        return detect_format(headers)

    def suggest_mapping(
        self, headers: list[str], format_name: str, remembered: Mapping[str, Any] | None
    ) -> dict[str, Any]:
        return merge_remembered(headers, format_name, remembered)

    def check_mapping(
        self, mapping: Mapping[str, Any], format_name: str, headers: list[str]
    ) -> list[str]:
        return check_mapping(mapping, format_name, headers)

    def open(
        self, path: Path, format_name: str, mapping: Mapping[str, Any], *, this_year: int
    ) -> FileSource:
        return open_source(path, format_name, mapping, this_year=this_year)


READER = Reader()
