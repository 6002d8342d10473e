"""index for each practitioner's unsigned session records

Revision ID: 0006
Revises: 0005
"""
from alembic import op


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('session_record', schema=None) as batch_op:
        batch_op.create_index('ix_session_record_practitioner_status',
                              ['practitioner_id', 'status'], unique=False)


def downgrade():
    with op.batch_alter_table('session_record', schema=None) as batch_op:
        batch_op.drop_index('ix_session_record_practitioner_status')
