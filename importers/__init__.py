"""File importers: readers, column mapping and normalizers per format — pure Python, no Flask.

They take a SQLAlchemy Session and plain values, like services (see STYLE.md). The import
pipeline (issue #3) fills this package; it exists now so the dependency contracts cover it.
"""
