"""public site: search indexes, page cache

Revision ID: 0008_public_site
Revises: 0007_integrations
Create Date: 2026-11-25 02:30:00

Search over parts (app/services/search.py):

- `parts.search_vector`: a stored generated tsvector (title and MPN weighted A, the start of
  the description C, and a `brand<id>` token weighted D), with a GIN index, for full-text
  search ranked by ts_rank_cd. The brand token lets "ebc pads" intersect brand and words
  inside the one GIN index instead of filtering thousands of "pads" rows by brand.
- `ix_parts_mpn_key_prefix`: mpn_key with varchar_pattern_ops, so "CM44" finds CM4401 by a
  prefix LIKE whatever the database collation.
- `ix_brands_name_trgm`: trigram index on brand keys for "did you mean" suggestions.
- `search_terms`: the vocabulary of part titles (one row per word), trigram-indexed, which
  typo correction picks from ("sintred" -> "sintered") in a millisecond instead of a
  trigram scan over a million titles. Statement-level triggers on `parts` (transition
  tables: one set-based insert per statement, however many rows an import writes) keep it
  current; words of deleted parts stay, which is harmless.

The page cache itself lives in each web process and on its local disk (app/pagecache.py):
it must keep working when Postgres does not, so it has no table here.

Written by hand. Adding a stored generated column rewrites `parts` once (seconds per million
rows) under an ACCESS EXCLUSIVE lock: run it in a quiet window. The expression below is the
text Postgres reflects back (casts included) so `flask db check` compares it cleanly with
`Part.search_vector`.
"""
from alembic import op
import sqlalchemy as sa

revision = "0008_public_site"
down_revision = "0007_integrations"
branch_labels = None
depends_on = None

SEARCH_VECTOR = (
    "(((setweight(to_tsvector('english'::regconfig, (COALESCE(title, ''::character varying))::text), 'A'::\"char\")"
    " || setweight(to_tsvector('simple'::regconfig, (((mpn)::text || ' '::text) || (mpn_key)::text)), 'A'::\"char\"))"
    " || setweight(to_tsvector('english'::regconfig, \"left\"(COALESCE(description, ''::text), 1000)), 'C'::\"char\"))"
    " || setweight(to_tsvector('simple'::regconfig, ('brand'::text || brand_id)), 'D'::\"char\"))"
)


TERMS_FROM_NEW_PARTS = """
    INSERT INTO search_terms (term)
    SELECT DISTINCT word
    FROM new_parts, regexp_split_to_table(lower(new_parts.title), '[^[:alnum:]]+') AS word
    WHERE length(word) BETWEEN 3 AND 60 AND word !~ '[0-9]'
    ON CONFLICT DO NOTHING
"""


def upgrade():
    op.execute(
        f"ALTER TABLE parts ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ({SEARCH_VECTOR}) STORED"
    )
    op.create_index(
        "ix_parts_search_vector", "parts", ["search_vector"], postgresql_using="gin"
    )
    op.create_index(
        "ix_parts_mpn_key_prefix",
        "parts",
        ["mpn_key"],
        postgresql_ops={"mpn_key": "varchar_pattern_ops"},
    )
    op.create_index(
        "ix_brands_name_trgm",
        "brands",
        ["name_key"],
        postgresql_using="gin",
        postgresql_ops={"name_key": "gin_trgm_ops"},
    )
    op.create_table(
        "search_terms",
        sa.Column("term", sa.String(length=60), nullable=False),
        sa.PrimaryKeyConstraint("term", name=op.f("pk_search_terms")),
    )
    op.create_index(
        "ix_search_terms_term_trgm",
        "search_terms",
        ["term"],
        postgresql_using="gin",
        postgresql_ops={"term": "gin_trgm_ops"},
    )
    op.execute(
        "CREATE FUNCTION search_terms_from_parts() RETURNS trigger LANGUAGE plpgsql AS $$"
        f" BEGIN {TERMS_FROM_NEW_PARTS}; RETURN NULL; END $$"
    )
    for event in ("INSERT", "UPDATE"):
        op.execute(
            f"CREATE TRIGGER parts_search_terms_{event.lower()} AFTER {event} ON parts"
            " REFERENCING NEW TABLE AS new_parts"
            " FOR EACH STATEMENT EXECUTE FUNCTION search_terms_from_parts()"
        )
    # Backfill from the parts already there.
    op.execute(TERMS_FROM_NEW_PARTS.replace("new_parts", "parts"))


def downgrade():
    op.execute("DROP TRIGGER IF EXISTS parts_search_terms_update ON parts")
    op.execute("DROP TRIGGER IF EXISTS parts_search_terms_insert ON parts")
    op.execute("DROP FUNCTION IF EXISTS search_terms_from_parts()")
    op.drop_index("ix_search_terms_term_trgm", table_name="search_terms")
    op.drop_table("search_terms")
    op.drop_index("ix_brands_name_trgm", table_name="brands")
    op.drop_index("ix_parts_mpn_key_prefix", table_name="parts")
    op.drop_index("ix_parts_search_vector", table_name="parts")
    op.drop_column("parts", "search_vector")
