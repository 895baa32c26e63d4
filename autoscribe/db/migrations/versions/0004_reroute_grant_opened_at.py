"""reroute_grants.opened_at: a reroute link opens once

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""
from alembic import op
import sqlalchemy as sa

import autoscribe.db.types

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('reroute_grants') as batch:
        batch.add_column(sa.Column('opened_at', autoscribe.db.types.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('reroute_grants') as batch:
        batch.drop_column('opened_at')
