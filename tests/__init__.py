"""Test suite: real PostgreSQL, one rolled-back transaction per test."""
