"""api_keys.last_used_at; events that end a principal's access (no study, no status)

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""
from alembic import op
import sqlalchemy as sa
import autoscribe.db.types

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('api_keys') as batch:
        batch.add_column(sa.Column('last_used_at', autoscribe.db.types.UTCDateTime(), nullable=True))
    with op.batch_alter_table('events') as batch:
        batch.alter_column('study_id', existing_type=sa.String(length=36), nullable=True)
        batch.alter_column('status_after', existing_type=sa.String(length=48), nullable=True)


def downgrade() -> None:
    op.execute("DELETE FROM events WHERE study_id IS NULL")
    with op.batch_alter_table('events') as batch:
        batch.alter_column('status_after', existing_type=sa.String(length=48), nullable=False)
        batch.alter_column('study_id', existing_type=sa.String(length=36), nullable=False)
    with op.batch_alter_table('api_keys') as batch:
        batch.drop_column('last_used_at')
