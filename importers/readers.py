"""Reading uploaded files: refuse what is not a CSV, find the encoding and delimiter, stream rows.

`inspect` makes one cheap pass over the bytes (binary/zip/empty checks, UTF-8 validity,
line lengths, line count for progress) and reads the header; `records` then streams
(line number, raw text, cells) one record at a time, so memory stays flat for any size.
Everything is read as strings: a format module decides what a cell means.
"""

from __future__ import annotations

import codecs
import csv
import io
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from app.services.imports.errors import ImportProblem
from app.services.names import name_key

CHUNK = 1024 * 1024
MAX_LINE_BYTES = CHUNK  # a CSV record longer than 1 MB is not a vendor catalog row
MAX_RECORD_LINES = 50  # a quoted cell spanning more lines than this is an unclosed quote
SNIFF_LINES = 50
SAMPLE_ROWS = 20
DELIMITERS = (",", ";", "\t", "|")
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}

SIGNATURES = (
    (b"PK\x03\x04", "a ZIP archive (or an Excel .xlsx workbook): export or unzip it to CSV first"),
    (b"PK\x05\x06", "an empty ZIP archive, not a CSV file"),
    (b"\x1f\x8b", "a gzip-compressed file: decompress it to CSV first"),
    (b"%PDF", "a PDF document, not a CSV file"),
    (b"\xd0\xcf\x11\xe0", "an old Excel .xls workbook: save it as CSV first"),
    (b"\x89PNG", "a PNG image, not a CSV file"),
    (b"\xff\xd8\xff", "a JPEG image, not a CSV file"),
)
UTF16_BOMS = ((codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


class FileProblem(ImportProblem):
    """The file itself cannot be read as a table."""


@dataclass
class FileInfo:
    """What inspect learned: how to decode and split the file, its header and a sample."""

    encoding: str
    delimiter: str
    headers: list[str]
    header_line: int
    sample: list[list[str]]
    total_lines: int
    warnings: list[str] = field(default_factory=list)

    @property
    def delimiter_name(self) -> str:
        return DELIMITER_NAMES.get(self.delimiter, repr(self.delimiter))


@dataclass
class _Scan:
    newlines: int = 0
    is_utf8: bool = True
    bad_utf8_line: int = 0
    suspect_bytes: bytes = b""


def _refuse_binary(head: bytes) -> None:
    if not head:
        raise FileProblem("The file is empty.")
    for signature, what in SIGNATURES:
        if head.startswith(signature):
            raise FileProblem(f"This file is {what}.")
    if not head.strip():
        raise FileProblem("The file contains only blank space.")


def _scan(path: Path, utf16: bool) -> _Scan:
    """One pass over the bytes: NULs, line lengths, UTF-8 validity; counts lines."""
    scan = _Scan()
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    since_newline = 0
    newline = b"\n"
    with path.open("rb") as handle:
        first = True
        while chunk := handle.read(CHUNK):
            if first and newline not in chunk and b"\r" in chunk:
                newline = b"\r"  # classic Mac line endings
            first = False
            if not utf16 and b"\x00" in chunk:
                line = scan.newlines + chunk[: chunk.index(b"\x00")].count(newline) + 1
                raise FileProblem(
                    f"Line {line} contains binary data (a NUL byte): this is not a text CSV file."
                )
            head = chunk.find(newline)
            if head == -1:
                since_newline += len(chunk)
            else:
                since_newline += head
                if since_newline <= MAX_LINE_BYTES:
                    since_newline = len(chunk) - chunk.rfind(newline) - 1
            if since_newline > MAX_LINE_BYTES:
                line = scan.newlines + 1
                raise FileProblem(
                    f"Line {line} is longer than {MAX_LINE_BYTES // CHUNK} MB without a line "
                    "break: this is not a CSV file with one record per line."
                )
            if scan.is_utf8 and not utf16:
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError as exc:
                    scan.is_utf8 = False
                    scan.bad_utf8_line = scan.newlines + chunk[: exc.start].count(newline) + 1
                    scan.suspect_bytes = chunk[max(0, exc.start - 32768) : exc.start + 32768]
            scan.newlines += chunk.count(newline)
    if scan.is_utf8 and not utf16:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            scan.is_utf8 = False
            scan.bad_utf8_line = scan.newlines + 1
    return scan


def _pick_encoding(path: Path) -> tuple[str, list[str], int]:
    """(codec, warnings, line count). UTF-8 (BOM or not) silently; anything else with a warning."""
    with path.open("rb") as handle:
        head = handle.read(4096)
    _refuse_binary(head)
    for bom, codec in UTF16_BOMS:
        if head.startswith(bom):
            scan = _scan(path, utf16=True)
            return (
                codec,
                ["The file is UTF-16 (Excel's 'Unicode text'); it was converted."],
                (scan.newlines + 1),
            )
    scan = _scan(path, utf16=False)
    lines = scan.newlines + 1
    if scan.is_utf8:
        return ("utf-8-sig" if head.startswith(codecs.BOM_UTF8) else "utf-8"), [], lines
    # Vendor files that are not UTF-8 are nearly always Windows-1252 (Excel's "CSV" on a
    # Western Windows); charset-normalizer weighs in only when that cannot be it.
    from charset_normalizer import from_bytes

    codec = "cp1252"
    if not _decodes(scan.suspect_bytes, codec):
        guess = from_bytes(scan.suspect_bytes).best()
        candidates = [guess.encoding] if guess and guess.encoding != "utf_8" else []
        codec = next((c for c in candidates if _decodes(scan.suspect_bytes, c)), "latin_1")
    label = {"cp1252": "Windows-1252", "latin_1": "Latin-1"}.get(codec, codec)
    return (
        codec,
        [
            f"The file is not UTF-8 (first at line {scan.bad_utf8_line}); it was read as {label}. "
            "Check that accented letters look right in the preview."
        ],
        lines,
    )


def _decodes(data: bytes, codec: str) -> bool:
    try:
        data.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return False
    return True


def _open_text(path: Path, encoding: str) -> io.TextIOWrapper:
    # newline="": the csv module sees \r\n, \n and \r untranslated, as it requires.
    return open(path, encoding=encoding, errors="strict", newline="")


def _nfc(line: str) -> str:
    return line if line.isascii() else unicodedata.normalize("NFC", line)


def _sniff_delimiter(lines: list[str]) -> str:
    """The candidate that splits the header into most columns, consistently on the rows below."""
    best, best_score = "", (0, 0)
    for candidate in DELIMITERS:
        rows = [r for r in csv.reader(lines, delimiter=candidate) if any(c.strip() for c in r)]
        if not rows or len(rows[0]) < 2:
            continue
        width = len(rows[0])
        consistent = sum(1 for r in rows[1:] if len(r) == width)
        score = (consistent, width)
        if score > best_score:
            best, best_score = candidate, score
    if not best:
        raise FileProblem(
            "Could not find a column separator: the header row splits into one column with "
            "comma, semicolon, tab and pipe alike."
        )
    return best


def _clean_header(cell: str) -> str:
    return " ".join(cell.replace("\ufeff", "").split())


def _check_headers(headers: list[str], header_line: int) -> None:
    seen: dict[str, int] = {}
    duplicates: list[str] = []
    for index, header in enumerate(headers, start=1):
        key = name_key(header)
        if not key:
            continue
        if key in seen:
            duplicates.append(f"'{header}' (columns {seen[key]} and {index})")
        else:
            seen[key] = index
    if duplicates:
        raise FileProblem(
            "Duplicate column names: " + ", ".join(duplicates) + ". Rename or remove one of each.",
            line=header_line,
        )
    if not seen:
        raise FileProblem("The header row has no column names.", line=header_line)


def inspect(path: Path) -> FileInfo:
    """Check the file is a readable table and read its header and first rows."""
    encoding, warnings, total_lines = _pick_encoding(path)
    try:
        with _open_text(path, encoding) as handle:
            head_lines: list[str] = []
            for line in handle:
                head_lines.append(_nfc(line))
                if len(head_lines) >= SNIFF_LINES:
                    break
    except UnicodeDecodeError as exc:  # pragma: no cover - the scan picked a codec that decodes
        raise FileProblem(f"The file could not be decoded as {encoding}: {exc.reason}.") from exc
    delimiter = _sniff_delimiter(head_lines)
    headers: list[str] = []
    header_line = 0
    sample: list[list[str]] = []
    for line_no, _raw, cells in records(path, encoding, delimiter, start_after=0):
        if not headers:
            headers, header_line = [_clean_header(c) for c in cells], line_no
            _check_headers(headers, header_line)
            continue
        sample.append(cells)
        if len(sample) >= SAMPLE_ROWS:
            break
    if not headers:
        raise FileProblem("The file contains only blank lines.")
    if not sample:
        raise FileProblem(
            f"The file has a header row (line {header_line}) but no data rows.", line=header_line
        )
    return FileInfo(
        encoding=encoding,
        delimiter=delimiter,
        headers=headers,
        header_line=header_line,
        sample=sample,
        total_lines=total_lines,
        warnings=warnings,
    )


def records(
    path: Path, encoding: str, delimiter: str, *, start_after: int
) -> Iterator[tuple[int, str, list[str]]]:
    """(first line number, raw text, cells) of every non-blank record after `start_after`.

    The raw text is the record as written (NFC), kept as evidence. Line numbers count
    physical lines, so a person can find the row in a text editor. A line without a quote
    character is a whole record split on the delimiter (exactly what the csv module would
    make of it, at a fraction of the cost); a line with one goes through the csv module,
    which reads as many further lines as its quoted cells span.
    """
    line_no = 0
    pending: list[str] = []  # the lines of the quoted record being read
    with _open_text(path, encoding) as handle:
        lines = iter(handle)
        try:
            for physical in lines:
                line_no += 1
                line = physical if physical.isascii() else unicodedata.normalize("NFC", physical)
                if '"' in line:
                    first = line_no
                    pending = [line]
                    cells = next(
                        csv.reader(_record_lines(pending, lines, first), delimiter=delimiter)
                    )
                    line_no += len(pending) - 1
                    raw = "".join(pending).rstrip("\r\n")
                    pending = []
                else:
                    first = line_no
                    raw = line.rstrip("\r\n")
                    cells = raw.split(delimiter)
                if first > start_after and any(cells):
                    yield first, raw, cells
        except csv.Error as exc:
            raise FileProblem(
                f'The file cannot be split into cells here ({exc}); a quote (") may never '
                "be closed.",
                line=line_no,
            ) from exc
        except UnicodeDecodeError as exc:
            raise FileProblem(
                f"Bytes that are not valid {encoding} ({exc.reason}).",
                line=line_no + max(len(pending), 1),
            ) from exc


def _record_lines(pending: list[str], lines: Iterator[str], first: int) -> Iterator[str]:
    """The lines of one quoted record: the first (already read), then more while the csv
    module asks for them (a quoted cell spanning lines), each NFC-normalized and kept."""
    yield pending[0]
    for physical in lines:
        line = physical if physical.isascii() else unicodedata.normalize("NFC", physical)
        pending.append(line)
        if len(pending) > MAX_RECORD_LINES:
            raise FileProblem(
                f'A quoted cell runs over more than {MAX_RECORD_LINES} lines: a quote (") is '
                "probably never closed.",
                line=first,
            )
        yield line
