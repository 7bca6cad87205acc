"""initial schema

Revision ID: 0002_initial
Revises: 0001_extensions
Create Date: 2026-11-25 01:46:43.943581

Zero-downtime rule: expand → migrate data → contract (see docs/runbook.md).
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0002_initial'
down_revision = '0001_extensions'
branch_labels = None
depends_on = None


def upgrade():
    # Reviewed by hand: constraints are named by the metadata naming convention.
    op.create_table('brands',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('slug', sa.String(length=140), nullable=False),
    sa.Column('name_key', sa.String(length=140), nullable=False),
    sa.Column('website', sa.String(length=300), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("btrim(name) <> ''", name=op.f('ck_brands_name_not_blank')),
    sa.CheckConstraint("slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'", name=op.f('ck_brands_slug_format')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_brands')),
    sa.UniqueConstraint('name_key', name=op.f('uq_brands_name_key')),
    sa.UniqueConstraint('slug', name=op.f('uq_brands_slug'))
    )
    op.create_table('categories',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('slug', sa.String(length=100), nullable=False),
    sa.Column('position', sa.Integer(), server_default='0', nullable=False),
    sa.CheckConstraint("slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'", name=op.f('ck_categories_slug_format')),
    sa.CheckConstraint('parent_id IS NULL OR parent_id <> id', name=op.f('ck_categories_not_own_parent')),
    sa.ForeignKeyConstraint(['parent_id'], ['categories.id'], name=op.f('fk_categories_parent_id_categories'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_categories')),
    sa.UniqueConstraint('parent_id', 'name', name=op.f('uq_categories_parent_id_name'), postgresql_nulls_not_distinct=True),
    sa.UniqueConstraint('slug', name=op.f('uq_categories_slug'))
    )
    op.create_index(op.f('ix_categories_parent_id'), 'categories', ['parent_id'], unique=False)
    op.create_table('email_outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('idempotency_key', sa.Uuid(), server_default=sa.text('gen_random_uuid()'), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('to_address', sa.String(length=320), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('html', sa.Text(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('headers', postgresql.JSONB(astext_type=sa.Text()), server_default='{}', nullable=False),
    sa.Column('status', sa.Enum('pending', 'sending', 'sent', 'failed', name='status', native_enum=False, create_constraint=True), server_default='pending', nullable=False),
    sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('last_error', sa.String(length=2000), server_default='', nullable=False),
    sa.Column('provider_message_id', sa.String(length=120), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status <> 'sent' OR sent_at IS NOT NULL", name=op.f('ck_email_outbox_sent_has_time')),
    sa.CheckConstraint('attempts >= 0', name=op.f('ck_email_outbox_attempts_not_negative')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_email_outbox')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_email_outbox_idempotency_key'))
    )
    op.create_index('ix_email_outbox_due', 'email_outbox', ['next_attempt_at'], unique=False, postgresql_where="status = 'pending'")
    op.create_table('makes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('slug', sa.String(length=140), nullable=False),
    sa.Column('name_key', sa.String(length=140), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("btrim(name) <> ''", name=op.f('ck_makes_name_not_blank')),
    sa.CheckConstraint("slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'", name=op.f('ck_makes_slug_format')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_makes')),
    sa.UniqueConstraint('name_key', name=op.f('uq_makes_name_key')),
    sa.UniqueConstraint('slug', name=op.f('uq_makes_slug'))
    )
    op.create_index('ix_makes_name_trgm', 'makes', ['name_key'], unique=False, postgresql_using='gin', postgresql_ops={'name_key': 'gin_trgm_ops'})
    op.create_table('metric_counters',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('dimension', sa.String(length=200), server_default='', nullable=False),
    sa.Column('value', sa.BigInteger(), server_default='0', nullable=False),
    sa.CheckConstraint('value >= 0', name=op.f('ck_metric_counters_value_not_negative')),
    sa.PrimaryKeyConstraint('day', 'name', 'dimension', name=op.f('pk_metric_counters'))
    )
    op.create_table('retailers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('slug', sa.String(length=140), nullable=False),
    sa.Column('homepage', sa.String(length=300), nullable=False),
    sa.Column('allowed_hosts', sa.ARRAY(sa.String(length=200)), nullable=False),
    sa.Column('is_active', sa.Boolean(), server_default='true', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'", name=op.f('ck_retailers_slug_format')),
    sa.CheckConstraint('cardinality(allowed_hosts) > 0', name=op.f('ck_retailers_has_allowed_host')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_retailers')),
    sa.UniqueConstraint('name', name=op.f('uq_retailers_name')),
    sa.UniqueConstraint('slug', name=op.f('uq_retailers_slug'))
    )
    op.create_table('roles',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('description', sa.String(length=200), server_default='', nullable=False),
    sa.Column('update_datetime', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_roles')),
    sa.UniqueConstraint('name', name=op.f('uq_roles_name'))
    )
    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('password', sa.String(length=255), nullable=True),
    sa.Column('active', sa.Boolean(), server_default='true', nullable=False),
    sa.Column('fs_uniquifier', sa.String(length=64), nullable=False),
    sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('digest_frequency', sa.Enum('daily', 'weekly', 'off', name='digest_frequency', native_enum=False, create_constraint=True), server_default='daily', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('fs_uniquifier', name=op.f('uq_users_fs_uniquifier'))
    )
    op.create_index('uq_users_email_lower', 'users', [sa.literal_column('lower(email)')], unique=True)
    op.create_table('audit_log',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=60), nullable=False),
    sa.Column('entity', sa.String(length=40), nullable=False),
    sa.Column('entity_id', sa.BigInteger(), nullable=True),
    sa.Column('before', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('after', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('note', sa.String(length=1000), server_default='', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_audit_log_actor_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )
    op.create_index('ix_audit_log_created_at', 'audit_log', ['created_at'], unique=False)
    op.create_index('ix_audit_log_entity', 'audit_log', ['entity', 'entity_id', 'created_at'], unique=False)
    op.create_table('brand_aliases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('brand_id', sa.Integer(), nullable=False),
    sa.Column('alias', sa.String(length=140), nullable=False),
    sa.Column('alias_key', sa.String(length=140), nullable=False),
    sa.Column('source', sa.Enum('merge', 'curator', 'import', 'reference', name='source', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['brand_id'], ['brands.id'], name=op.f('fk_brand_aliases_brand_id_brands'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_brand_aliases')),
    sa.UniqueConstraint('alias_key', name=op.f('uq_brand_aliases_alias_key'))
    )
    op.create_index(op.f('ix_brand_aliases_brand_id'), 'brand_aliases', ['brand_id'], unique=False)
    op.create_table('duplicate_candidates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entity', sa.Enum('make', 'model', 'brand', 'part', name='entity', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('left_id', sa.Integer(), nullable=False),
    sa.Column('right_id', sa.Integer(), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('status', sa.Enum('open', 'merged', 'dismissed', name='status', native_enum=False, create_constraint=True), server_default='open', nullable=False),
    sa.Column('resolved_by_id', sa.Integer(), nullable=True),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint('left_id < right_id', name=op.f('ck_duplicate_candidates_ordered_pair')),
    sa.CheckConstraint('score >= 0 AND score <= 1', name=op.f('ck_duplicate_candidates_score_range')),
    sa.ForeignKeyConstraint(['resolved_by_id'], ['users.id'], name=op.f('fk_duplicate_candidates_resolved_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_duplicate_candidates')),
    sa.UniqueConstraint('entity', 'left_id', 'right_id', name=op.f('uq_duplicate_candidates_entity_left_id_right_id'))
    )
    op.create_index('ix_duplicate_candidates_open', 'duplicate_candidates', ['entity', 'score'], unique=False, postgresql_where="status = 'open'")
    op.create_table('import_batches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=120), nullable=False),
    sa.Column('format', sa.Enum('fitments', 'ebay', 'retailer_feed', 'vehicles', 'demo', name='format', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('storage_key', sa.String(length=300), nullable=True),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size_bytes', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('status', sa.Enum('uploaded', 'mapped', 'previewed', 'committing', 'committed', 'failed', 'undone', name='status', native_enum=False, create_constraint=True), server_default='uploaded', nullable=False),
    sa.Column('mapping', postgresql.JSONB(astext_type=sa.Text()), server_default='{}', nullable=False),
    sa.Column('counts', postgresql.JSONB(astext_type=sa.Text()), server_default='{}', nullable=False),
    sa.Column('error_report_key', sa.String(length=300), nullable=True),
    sa.Column('message', sa.String(length=2000), server_default='', nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('committed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('undone_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("sha256 ~ '^[0-9a-f]{64}$'", name=op.f('ck_import_batches_sha256_hex')),
    sa.CheckConstraint("status <> 'committed' OR committed_at IS NOT NULL", name=op.f('ck_import_batches_committed_has_time')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_import_batches_created_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_batches'))
    )
    op.create_index('ix_import_batches_created_at', 'import_batches', ['created_at'], unique=False)
    op.create_index(op.f('ix_import_batches_sha256'), 'import_batches', ['sha256'], unique=False)
    op.create_table('make_aliases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('make_id', sa.Integer(), nullable=False),
    sa.Column('alias', sa.String(length=140), nullable=False),
    sa.Column('alias_key', sa.String(length=140), nullable=False),
    sa.Column('source', sa.Enum('merge', 'curator', 'import', 'reference', name='source', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['make_id'], ['makes.id'], name=op.f('fk_make_aliases_make_id_makes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_make_aliases')),
    sa.UniqueConstraint('alias_key', name=op.f('uq_make_aliases_alias_key'))
    )
    op.create_index(op.f('ix_make_aliases_make_id'), 'make_aliases', ['make_id'], unique=False)
    op.create_table('models',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('make_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=160), nullable=False),
    sa.Column('slug', sa.String(length=180), nullable=False),
    sa.Column('name_key', sa.String(length=180), nullable=False),
    sa.Column('model_code', sa.String(length=40), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("btrim(name) <> ''", name=op.f('ck_models_name_not_blank')),
    sa.CheckConstraint("slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'", name=op.f('ck_models_slug_format')),
    sa.ForeignKeyConstraint(['make_id'], ['makes.id'], name=op.f('fk_models_make_id_makes'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_models')),
    sa.UniqueConstraint('make_id', 'name_key', name=op.f('uq_models_make_id_name_key')),
    sa.UniqueConstraint('make_id', 'slug', name=op.f('uq_models_make_id_slug'))
    )
    op.create_index(op.f('ix_models_make_id'), 'models', ['make_id'], unique=False)
    op.create_index('ix_models_name_trgm', 'models', ['name_key'], unique=False, postgresql_using='gin', postgresql_ops={'name_key': 'gin_trgm_ops'})
    op.create_table('not_same_judgements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entity', sa.Enum('make', 'model', 'brand', 'part', name='entity', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('left_id', sa.Integer(), nullable=False),
    sa.Column('right_id', sa.Integer(), nullable=False),
    sa.Column('note', sa.String(length=500), server_default='', nullable=False),
    sa.Column('judged_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint('left_id < right_id', name=op.f('ck_not_same_judgements_ordered_pair')),
    sa.ForeignKeyConstraint(['judged_by_id'], ['users.id'], name=op.f('fk_not_same_judgements_judged_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_not_same_judgements')),
    sa.UniqueConstraint('entity', 'left_id', 'right_id', name=op.f('uq_not_same_judgements_entity_left_id_right_id'))
    )
    op.create_table('parts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('brand_id', sa.Integer(), nullable=False),
    sa.Column('mpn', sa.String(length=80), nullable=False),
    sa.Column('mpn_key', sa.String(length=80), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=True),
    sa.Column('description', sa.Text(), server_default='', nullable=False),
    sa.Column('gtin', sa.String(length=14), nullable=True),
    sa.Column('image_url', sa.String(length=500), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("gtin IS NULL OR gtin ~ '^[0-9]{8,14}$'", name=op.f('ck_parts_gtin_digits')),
    sa.CheckConstraint("mpn_key <> '' AND mpn_key = upper(mpn_key) AND mpn_key !~ '[[:space:]./-]'", name=op.f('ck_parts_mpn_key_normalized')),
    sa.ForeignKeyConstraint(['brand_id'], ['brands.id'], name=op.f('fk_parts_brand_id_brands'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['category_id'], ['categories.id'], name=op.f('fk_parts_category_id_categories'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_parts')),
    sa.UniqueConstraint('brand_id', 'mpn_key', name=op.f('uq_parts_brand_id_mpn_key'))
    )
    op.create_index(op.f('ix_parts_category_id'), 'parts', ['category_id'], unique=False)
    op.create_index(op.f('ix_parts_gtin'), 'parts', ['gtin'], unique=False)
    op.create_index('ix_parts_mpn_key', 'parts', ['mpn_key'], unique=False)
    op.create_index('ix_parts_title_trgm', 'parts', ['title'], unique=False, postgresql_using='gin', postgresql_ops={'title': 'gin_trgm_ops'})
    op.create_table('roles_users',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('role_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['role_id'], ['roles.id'], name=op.f('fk_roles_users_role_id_roles'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_roles_users_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'role_id', name=op.f('pk_roles_users'))
    )
    op.create_table('model_aliases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('model_id', sa.Integer(), nullable=False),
    sa.Column('make_id', sa.Integer(), nullable=False),
    sa.Column('alias', sa.String(length=180), nullable=False),
    sa.Column('alias_key', sa.String(length=180), nullable=False),
    sa.Column('source', sa.Enum('merge', 'curator', 'import', 'reference', name='source', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['make_id'], ['makes.id'], name=op.f('fk_model_aliases_make_id_makes'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['model_id'], ['models.id'], name=op.f('fk_model_aliases_model_id_models'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_model_aliases')),
    sa.UniqueConstraint('make_id', 'alias_key', name=op.f('uq_model_aliases_make_id_alias_key'))
    )
    op.create_index(op.f('ix_model_aliases_model_id'), 'model_aliases', ['model_id'], unique=False)
    op.create_table('offers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('part_id', sa.Integer(), nullable=False),
    sa.Column('retailer_id', sa.Integer(), nullable=False),
    sa.Column('sku', sa.String(length=80), nullable=False),
    sa.Column('url', sa.String(length=1000), nullable=False),
    sa.Column('price', sa.Numeric(precision=10, scale=2), nullable=True),
    sa.Column('currency', sa.String(length=3), server_default='USD', nullable=False),
    sa.Column('in_stock', sa.Boolean(), nullable=True),
    sa.Column('fetched_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("currency ~ '^[A-Z]{3}$'", name=op.f('ck_offers_currency_iso')),
    sa.CheckConstraint("url ~* '^https?://'", name=op.f('ck_offers_url_http')),
    sa.CheckConstraint('price IS NULL OR price >= 0', name=op.f('ck_offers_price_not_negative')),
    sa.ForeignKeyConstraint(['part_id'], ['parts.id'], name=op.f('fk_offers_part_id_parts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['retailer_id'], ['retailers.id'], name=op.f('fk_offers_retailer_id_retailers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_offers')),
    sa.UniqueConstraint('retailer_id', 'sku', name=op.f('uq_offers_retailer_id_sku'))
    )
    op.create_index(op.f('ix_offers_part_id'), 'offers', ['part_id'], unique=False)
    op.create_table('vehicles',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('model_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.SmallInteger(), nullable=False),
    sa.Column('variant', sa.String(length=60), server_default='', nullable=False),
    sa.Column('market', sa.String(length=8), server_default='', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint('market = upper(market)', name=op.f('ck_vehicles_market_upper')),
    sa.CheckConstraint('year BETWEEN 1885 AND 2100', name=op.f('ck_vehicles_year_range')),
    sa.ForeignKeyConstraint(['model_id'], ['models.id'], name=op.f('fk_vehicles_model_id_models'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vehicles')),
    sa.UniqueConstraint('model_id', 'year', 'variant', 'market', name=op.f('uq_vehicles_model_id_year_variant_market'))
    )
    op.create_table('fitments',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('part_id', sa.Integer(), nullable=False),
    sa.Column('vehicle_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Enum('', 'front', 'rear', 'left', 'right', 'pair', 'set', name='position', native_enum=False, create_constraint=True), server_default='', nullable=False),
    sa.Column('qty', sa.SmallInteger(), server_default='1', nullable=False),
    sa.Column('note', sa.String(length=500), server_default='', nullable=False),
    sa.Column('status', sa.Enum('unverified', 'verified', 'rejected', 'needs_review', name='status', native_enum=False, create_constraint=True), server_default='unverified', nullable=False),
    sa.Column('verified_by_id', sa.Integer(), nullable=True),
    sa.Column('verified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("(status = 'verified') = (verified_at IS NOT NULL)", name=op.f('ck_fitments_verified_has_time')),
    sa.CheckConstraint('qty BETWEEN 1 AND 999', name=op.f('ck_fitments_qty_range')),
    sa.ForeignKeyConstraint(['part_id'], ['parts.id'], name=op.f('fk_fitments_part_id_parts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['vehicle_id'], ['vehicles.id'], name=op.f('fk_fitments_vehicle_id_vehicles'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['verified_by_id'], ['users.id'], name=op.f('fk_fitments_verified_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fitments')),
    sa.UniqueConstraint('part_id', 'vehicle_id', 'position', name=op.f('uq_fitments_part_id_vehicle_id_position'))
    )
    op.create_index('ix_fitments_status_id', 'fitments', ['status', 'id'], unique=False)
    op.create_index('ix_fitments_vehicle_status', 'fitments', ['vehicle_id', 'status'], unique=False)
    op.create_table('offer_clicks',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('offer_id', sa.Integer(), nullable=False),
    sa.Column('page', sa.String(length=300), server_default='', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['offer_id'], ['offers.id'], name=op.f('fk_offer_clicks_offer_id_offers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_offer_clicks'))
    )
    op.create_index('ix_offer_clicks_created_at', 'offer_clicks', ['created_at'], unique=False)
    op.create_index('ix_offer_clicks_offer_created', 'offer_clicks', ['offer_id', 'created_at'], unique=False)
    op.create_table('offer_impressions',
    sa.Column('offer_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('count', sa.Integer(), server_default='0', nullable=False),
    sa.CheckConstraint('count >= 0', name=op.f('ck_offer_impressions_count_not_negative')),
    sa.ForeignKeyConstraint(['offer_id'], ['offers.id'], name=op.f('fk_offer_impressions_offer_id_offers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('offer_id', 'day', name=op.f('pk_offer_impressions'))
    )
    op.create_table('fitment_evidence',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('fitment_id', sa.BigInteger(), nullable=False),
    sa.Column('kind', sa.Enum('import', 'curator', name='kind', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('supports', sa.Boolean(), server_default='true', nullable=False),
    sa.Column('import_batch_id', sa.Integer(), nullable=True),
    sa.Column('line_no', sa.Integer(), nullable=True),
    sa.Column('raw_text', sa.Text(), nullable=True),
    sa.Column('curator_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.String(length=1000), server_default='', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("kind <> 'curator' OR btrim(note) <> '' OR supports", name=op.f('ck_fitment_evidence_rejection_has_note')),
    sa.CheckConstraint("kind <> 'import' OR (import_batch_id IS NOT NULL AND line_no IS NOT NULL)", name=op.f('ck_fitment_evidence_import_has_source')),
    sa.ForeignKeyConstraint(['curator_id'], ['users.id'], name=op.f('fk_fitment_evidence_curator_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['fitment_id'], ['fitments.id'], name=op.f('fk_fitment_evidence_fitment_id_fitments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['import_batch_id'], ['import_batches.id'], name=op.f('fk_fitment_evidence_import_batch_id_import_batches'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fitment_evidence')),
    sa.UniqueConstraint('fitment_id', 'import_batch_id', 'line_no', name=op.f('uq_fitment_evidence_fitment_id_import_batch_id_line_no'))
    )
    op.create_index(op.f('ix_fitment_evidence_fitment_id'), 'fitment_evidence', ['fitment_id'], unique=False)
    op.create_index(op.f('ix_fitment_evidence_import_batch_id'), 'fitment_evidence', ['import_batch_id'], unique=False)



def downgrade():
    # Reviewed by hand: constraints are named by the metadata naming convention.
    op.drop_index(op.f('ix_fitment_evidence_import_batch_id'), table_name='fitment_evidence')
    op.drop_index(op.f('ix_fitment_evidence_fitment_id'), table_name='fitment_evidence')
    op.drop_table('fitment_evidence')
    op.drop_table('offer_impressions')
    op.drop_index('ix_offer_clicks_offer_created', table_name='offer_clicks')
    op.drop_index('ix_offer_clicks_created_at', table_name='offer_clicks')
    op.drop_table('offer_clicks')
    op.drop_index('ix_fitments_vehicle_status', table_name='fitments')
    op.drop_index('ix_fitments_status_id', table_name='fitments')
    op.drop_table('fitments')
    op.drop_table('vehicles')
    op.drop_index(op.f('ix_offers_part_id'), table_name='offers')
    op.drop_table('offers')
    op.drop_index(op.f('ix_model_aliases_model_id'), table_name='model_aliases')
    op.drop_table('model_aliases')
    op.drop_table('roles_users')
    op.drop_index('ix_parts_title_trgm', table_name='parts', postgresql_using='gin', postgresql_ops={'title': 'gin_trgm_ops'})
    op.drop_index('ix_parts_mpn_key', table_name='parts')
    op.drop_index(op.f('ix_parts_gtin'), table_name='parts')
    op.drop_index(op.f('ix_parts_category_id'), table_name='parts')
    op.drop_table('parts')
    op.drop_table('not_same_judgements')
    op.drop_index('ix_models_name_trgm', table_name='models', postgresql_using='gin', postgresql_ops={'name_key': 'gin_trgm_ops'})
    op.drop_index(op.f('ix_models_make_id'), table_name='models')
    op.drop_table('models')
    op.drop_index(op.f('ix_make_aliases_make_id'), table_name='make_aliases')
    op.drop_table('make_aliases')
    op.drop_index(op.f('ix_import_batches_sha256'), table_name='import_batches')
    op.drop_index('ix_import_batches_created_at', table_name='import_batches')
    op.drop_table('import_batches')
    op.drop_index('ix_duplicate_candidates_open', table_name='duplicate_candidates', postgresql_where="status = 'open'")
    op.drop_table('duplicate_candidates')
    op.drop_index(op.f('ix_brand_aliases_brand_id'), table_name='brand_aliases')
    op.drop_table('brand_aliases')
    op.drop_index('ix_audit_log_entity', table_name='audit_log')
    op.drop_index('ix_audit_log_created_at', table_name='audit_log')
    op.drop_table('audit_log')
    op.drop_index('uq_users_email_lower', table_name='users')
    op.drop_table('users')
    op.drop_table('roles')
    op.drop_table('retailers')
    op.drop_table('metric_counters')
    op.drop_index('ix_makes_name_trgm', table_name='makes', postgresql_using='gin', postgresql_ops={'name_key': 'gin_trgm_ops'})
    op.drop_table('makes')
    op.drop_index('ix_email_outbox_due', table_name='email_outbox', postgresql_where="status = 'pending'")
    op.drop_table('email_outbox')
    op.drop_index(op.f('ix_categories_parent_id'), table_name='categories')
    op.drop_table('categories')
    op.drop_table('brands')

