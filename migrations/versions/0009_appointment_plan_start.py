"""appointments by plan and start: a plan's upcoming sessions from one index

Revision ID: 0009
Revises: 0008
"""
from alembic import op


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('appointment', schema=None) as batch_op:
        batch_op.create_index('ix_appointment_plan_start', ['plan_id', 'starts_at'], unique=False)
        batch_op.drop_index('ix_appointment_plan_id')


def downgrade():
    with op.batch_alter_table('appointment', schema=None) as batch_op:
        batch_op.create_index('ix_appointment_plan_id', ['plan_id'], unique=False)
        batch_op.drop_index('ix_appointment_plan_start')
