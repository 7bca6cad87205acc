"""Reading files: encodings, line endings, delimiters, Unicode, and every kind of non-CSV."""

from __future__ import annotations

import codecs
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from importers.readers import MAX_LINE_BYTES, FileProblem, inspect, records

Write = Callable[..., Path]
SHEET = "MPN,Brand,Make,Model,Years\n"


def rows(path: Path) -> list[tuple[int, str, list[str]]]:
    info = inspect(path)
    return list(records(path, info.encoding, info.delimiter, start_after=info.header_line))


def test_utf8_with_and_without_bom_reads_silently(write: Write) -> None:
    plain = inspect(write(SHEET + "A1,Zündapp,Zündapp,KS 50,1975\n"))
    bom = inspect(write(codecs.BOM_UTF8 + (SHEET + "A1,X,Y,Z,2015\n").encode()))
    assert (plain.encoding, plain.warnings) == ("utf-8", [])
    assert (bom.encoding, bom.warnings) == ("utf-8-sig", [])
    assert bom.headers[0] == "MPN"  # no BOM glued to the first header


def test_windows_1252_is_detected_converted_and_warned(write: Write) -> None:
    path = write(SHEET + "A1,Zündapp Teile,Zündapp,Bella R 204,1956\n", encoding="cp1252")
    info = inspect(path)
    assert info.encoding == "cp1252"
    assert "not UTF-8 (first at line 2)" in info.warnings[0]
    assert rows(path)[0][2][1] == "Zündapp Teile"


def test_utf16_from_excel_is_converted(write: Write) -> None:
    path = write("MPN\tBrand\tMake\tModel\tYears\r\nA1\tX\tHonda\tCB\t2015\r\n", encoding="utf-16")
    info = inspect(path)
    assert info.delimiter == "\t" and info.headers[1] == "Brand"
    assert rows(path)[0][2] == ["A1", "X", "Honda", "CB", "2015"]


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_delimiters_are_sniffed(write: Write, delimiter: str) -> None:
    text = (
        SHEET.replace(",", delimiter)
        + delimiter.join(["A-1", "EBC", "Honda", "CBR 600, RR", "2015"])
        + "\n"
    )
    if delimiter == ",":
        text = SHEET + 'A-1,EBC,Honda,"CBR 600, RR",2015\n'
    info = inspect(write(text))
    assert info.delimiter == delimiter
    assert info.sample[0][3] == "CBR 600, RR"


def test_crlf_lf_and_cr_line_endings_give_the_same_rows(write: Write) -> None:
    body = ["MPN,Brand", "A1,X", "A2,Y"]
    results = [
        [cells for _, _, cells in rows(write(ending.join(body) + ending))]
        for ending in ("\r\n", "\n", "\r")
    ]
    assert results[0] == results[1] == results[2] == [["A1", "X"], ["A2", "Y"]]


def test_unicode_is_normalized_to_nfc(write: Write) -> None:
    decomposed = "Zu\u0308ndapp"  # u + combining diaeresis
    ((_, raw, cells),) = rows(write(f"MPN,Make\nA1,{decomposed}\n"))
    assert cells[1] == "Z\u00fcndapp" and "Z\u00fcndapp" in raw


def test_line_numbers_count_physical_lines_and_raw_text_is_kept(write: Write) -> None:
    path = write('MPN,Note\n\nA1,"two\nlines"\nA2,plain\n')
    assert rows(path) == [
        (3, 'A1,"two\nlines"', ["A1", "two\nlines"]),
        (5, "A2,plain", ["A2", "plain"]),
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The file is empty."),
        (b"   \n\n  ", "only blank space"),
        (b"PK\x03\x04rest-of-a-zip", "ZIP archive"),
        (b"\x1f\x8b\x08\x00gzipped", "gzip-compressed"),
        (b"%PDF-1.7 ...", "PDF document"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1xls", "Excel .xls"),
        (b"MPN,Brand\nA1,\x00\x00\x00\n", "Line 2 contains binary data"),
        (b"MPN,Brand,Make\n", "header row (line 1) but no data rows"),
        (b"MPN,Brand,mpn\nA,B,C\n", "Duplicate column names: 'mpn' (columns 1 and 3)"),
        (b"just one column\nvalue\n", "Could not find a column separator"),
    ],
)
def test_non_tables_are_refused_with_a_clear_message(
    write: Write, content: bytes, message: str
) -> None:
    with pytest.raises(FileProblem, match=message.replace("(", r"\(").replace(")", r"\)")):
        inspect(write(content))


def test_a_50_mb_single_line_is_refused_after_reading_about_a_megabyte(write: Write) -> None:
    path = write(b"MPN," + b"x" * (50 * 1024 * 1024))
    with pytest.raises(FileProblem, match="Line 1 is longer than 1 MB"):
        inspect(path)
    assert MAX_LINE_BYTES == 1024 * 1024


def test_an_unclosed_quote_is_reported_with_its_line(write: Write) -> None:
    path = write('MPN,Note\nA1,ok\nA2,"never closed\n' + "more,text\n" * 60)
    with pytest.raises(FileProblem, match="Line 3: A quoted cell runs over more than 50 lines"):
        rows(path)


def test_bytes_that_break_the_chosen_encoding_later_are_reported(write: Write) -> None:
    head = (SHEET + "A1,X,Y,Z,2015\n").encode("utf-8")
    # Valid UTF-8 all through the 1 MB scan window, then a stray byte much further on.
    path = write(head + b"A2,X,Y,Z,2015\n" * 100_000 + b"A3,\xff,Y,Z,2015\n")
    info = inspect(path)
    assert info.encoding == "cp1252"  # the scan sees the whole file, not a sample
    assert rows(path)[-1][2][1] == "\u00ff"


def test_bytes_windows_1252_cannot_hold_fall_back_to_another_reading(write: Write) -> None:
    # 0x81 and 0x8D are undefined in Windows-1252: charset-normalizer (or Latin-1) decides.
    path = write(SHEET.encode() + b"A1,\x81\x8d Parts,Honda,CB,2015\n")
    info = inspect(path)
    assert info.encoding != "cp1252" and "it was read as" in info.warnings[0]
    assert rows(path)[0][2][2] == "Honda"


def _records_by_csv_module(path: Path, delimiter: str) -> list[tuple[int, str, list[str]]]:
    """The reference: every record through the csv module, physical lines counted."""
    import csv
    import unicodedata

    found: list[tuple[int, str, list[str]]] = []
    line_no = 0
    pending: list[str] = []
    with path.open(encoding="utf-8", newline="") as handle:

        def lines() -> Iterator[str]:
            nonlocal line_no
            for physical in handle:
                line_no += 1
                pending.append(unicodedata.normalize("NFC", physical))
                yield pending[-1]

        for cells in csv.reader(lines(), delimiter=delimiter):
            first = line_no - len(pending) + 1
            raw = "".join(pending).rstrip("\r\n")
            pending.clear()
            if any(cells):
                found.append((first, raw, cells))
    return found


CELL = st.text(alphabet=st.sampled_from(list('ab Zé,;"\n\r\t|1-')), max_size=8)


@settings(max_examples=150, deadline=None)
@given(
    rows=st.lists(st.lists(CELL, min_size=1, max_size=5), min_size=1, max_size=12),
    delimiter=st.sampled_from([",", ";", "\t", "|"]),
    terminator=st.sampled_from(["\r\n", "\n"]),
)
def test_records_split_exactly_as_the_csv_module_does(
    rows: list[list[str]], delimiter: str, terminator: str
) -> None:
    """Unquoted lines are split directly (the fast path), quoted ones by the csv module: the
    cells, raw text and line numbers must be what the csv module alone gives."""
    import csv
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "rows.csv"
        with path.open("w", encoding="utf-8", newline="") as handle:
            csv.writer(handle, delimiter=delimiter, lineterminator=terminator).writerows(rows)
        expected = _records_by_csv_module(path, delimiter)
        assert list(records(path, "utf-8", delimiter, start_after=0)) == expected
