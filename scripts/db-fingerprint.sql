\set QUIET on
-- What a restore must reproduce, as plain text two restores can be diffed on
-- (docs/runbook.md): every table's row count, the schema revision, and a checksum of the
-- verified fitments -- the curated data the whole product exists for.
--
--   psql --no-psqlrc --tuples-only --no-align --dbname="$URL" --file=scripts/db-fingerprint.sql
SET TimeZone = 'UTC';

SELECT format(
    'SELECT %L, count(*) FROM %I.%I',
    'rows:' || schemaname || '.' || tablename, schemaname, tablename
)
FROM pg_tables
WHERE schemaname NOT IN ('pg_catalog', 'information_schema')
ORDER BY schemaname, tablename
\gexec

SELECT 'alembic_version', string_agg(version_num, ',' ORDER BY version_num) FROM alembic_version;

SELECT
    'verified_fitments',
    count(*),
    md5(coalesce(string_agg(
        concat_ws('|', f.id, p.brand_id, p.mpn_key, f.vehicle_id, f.position, f.qty, f.note,
                  f.verified_by_id, f.verified_at, f.version),
        E'\n' ORDER BY f.id
    ), ''))
FROM fitments AS f
JOIN parts AS p ON p.id = f.part_id
WHERE f.status = 'verified';

-- Sequences: a restore that forgot them would hand out ids that already exist.
SELECT 'sequence:' || schemaname || '.' || sequencename, coalesce(last_value, 0)
FROM pg_sequences
WHERE schemaname NOT IN ('pg_catalog', 'information_schema')
ORDER BY schemaname, sequencename;
