"""studies.created_by_api_key_id / created_by_user_id: who created the study

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""
from alembic import op
import sqlalchemy as sa

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('studies') as batch:
        batch.add_column(sa.Column('created_by_api_key_id', sa.String(length=36), nullable=True))
        batch.add_column(sa.Column('created_by_user_id', sa.String(length=36), nullable=True))
        batch.create_foreign_key('fk_studies_created_by_api_key_id_api_keys', 'api_keys', ['created_by_api_key_id'], ['id'])
        batch.create_foreign_key('fk_studies_created_by_user_id_users', 'users', ['created_by_user_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('studies') as batch:
        batch.drop_constraint('fk_studies_created_by_user_id_users', type_='foreignkey')
        batch.drop_constraint('fk_studies_created_by_api_key_id_api_keys', type_='foreignkey')
        batch.drop_column('created_by_user_id')
        batch.drop_column('created_by_api_key_id')
