"""File importers: readers, column mapping and normalizers per format — pure Python, no Flask.

`sources.open_source(path, format, mapping)` turns a stored file into rows for the import
service (app/services/imports); `readers.inspect` checks a file and reads its header;
`mapping` detects and checks column mappings; `years` and `fields` normalize cells.
"""
