#!/usr/bin/env bash
# Restore a dump from scripts/db-backup.sh into an EMPTY database (docs/runbook.md):
#
#   scripts/db-restore.sh DUMP_FILE TARGET_DATABASE_URL
#
# All or nothing: the whole restore is one transaction that stops at the first error, so a
# failed restore leaves the target empty. Refuses a target that already has tables: restore
# into a fresh database (or Neon branch), check it, then switch the app over.
# PG_BIN: folder holding pg_restore and psql (default: PATH), the same major as pg_dump's.
set -euo pipefail

dump="${1:?usage: db-restore.sh DUMP_FILE TARGET_DATABASE_URL}"
url="${2:?usage: db-restore.sh DUMP_FILE TARGET_DATABASE_URL}"
url="${url/postgresql+psycopg:/postgresql:}"
bin="${PG_BIN:+${PG_BIN%/}/}"

[ -r "$dump" ] || { echo "db-restore: cannot read $dump" >&2; exit 2; }
tables="$("${bin}psql" --no-psqlrc --quiet --tuples-only --no-align --dbname="$url" \
  --command="SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")"
if [ "$tables" != "0" ]; then
  echo "db-restore: refusing, the target already has $tables tables; use a fresh database" >&2
  exit 2
fi

# pg_restore renders the whole SQL script first: a truncated or damaged dump fails here,
# before anything touches the target (piping straight into psql would let psql COMMIT the
# half it received). Then psql applies it in one transaction, stopping at the first error.
script="$(mktemp "${TMPDIR:-/tmp}/db-restore.XXXXXX")"
trap 'rm -f "$script"' EXIT
"${bin}pg_restore" --no-owner --no-acl --file="$script" "$dump"
# PostgreSQL 17+ tools emit `SET transaction_timeout`, which a 16 server (compose, CI, an
# older Neon project) rejects: drop that one session setting, apply the rest as dumped.
sed -i -e '/^SET transaction_timeout = 0;$/d' "$script"
"${bin}psql" --no-psqlrc --quiet --set=ON_ERROR_STOP=1 --single-transaction \
  --dbname="$url" --file="$script" >/dev/null
echo "db-restore: restored $dump"
