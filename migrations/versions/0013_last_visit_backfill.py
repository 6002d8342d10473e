"""last visit: each patient's last_visit_on from their newest signed session record

The app keeps it from now on (sessions.services.refresh_last_visit, on signing and amending);
patients without a signed session keep what they had.

Revision ID: 0013
Revises: 0012
"""
from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    patient = sa.table('patient', sa.column('id', sa.Integer),
                       sa.column('last_visit_on', sa.Date))
    record = sa.table('session_record', sa.column('patient_id', sa.Integer),
                      sa.column('visit_on', sa.Date), sa.column('status', sa.String))
    signed = sa.and_(record.c.patient_id == patient.c.id, record.c.status == 'signed')
    op.get_bind().execute(
        patient.update()
        .where(sa.exists().where(signed))
        .values(last_visit_on=sa.select(sa.func.max(record.c.visit_on)).where(signed)
                .scalar_subquery()))


def downgrade():
    pass   # the dates stay: they are true under the older schema too
