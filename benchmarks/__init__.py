"""Benchmarks for the budgets in DESIGN.md §5, run as modules.

Example: `.venv/bin/python -m benchmarks.import_fitments --rows 200000`.
"""
