"""pdf_renders: signed reports whose PDF is still to be rendered (by a worker process)

Signed reports that have no kept PDF yet are queued, so that every one gets its PDF.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa
import autoscribe.db.types

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('pdf_renders',
    sa.Column('report_id', sa.String(length=36), nullable=False),
    sa.Column('clinic_id', sa.String(length=36), nullable=False),
    sa.Column('requested_at', autoscribe.db.types.UTCDateTime(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', autoscribe.db.types.UTCDateTime(), nullable=False),
    sa.Column('claimed_by', sa.String(length=64), nullable=True),
    sa.Column('claimed_until', autoscribe.db.types.UTCDateTime(), nullable=True),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['clinic_id'], ['clinics.id'], name=op.f('fk_pdf_renders_clinic_id_clinics'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['report_id'], ['reports.id'], name=op.f('fk_pdf_renders_report_id_reports'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('report_id', name=op.f('pk_pdf_renders'))
    )
    with op.batch_alter_table('pdf_renders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pdf_renders_next_attempt_at'), ['next_attempt_at'], unique=False)
    now = sa.bindparam('now', datetime.now(timezone.utc), type_=autoscribe.db.types.UTCDateTime())
    op.get_bind().execute(sa.text(
        "INSERT INTO pdf_renders (report_id, clinic_id, requested_at, attempts, next_attempt_at)"
        " SELECT r.id, r.clinic_id, :now, 0, :now FROM reports r"
        " WHERE r.status = 'COMPLETED' AND NOT EXISTS (SELECT 1 FROM report_pdfs p WHERE p.report_id = r.id)"
    ).bindparams(now))


def downgrade() -> None:
    with op.batch_alter_table('pdf_renders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pdf_renders_next_attempt_at'))
    op.drop_table('pdf_renders')
