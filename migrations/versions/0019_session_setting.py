"""session setting and what the patient was told (STRICTA 4b)

Revision ID: 0019
Revises: 0018
"""
from alembic import op
import sqlalchemy as sa


revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('session_record', schema=None) as batch_op:
        batch_op.add_column(sa.Column('setting', sa.String(length=20), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('patient_told', sa.Text(), nullable=False,
                                      server_default=''))


def downgrade():
    with op.batch_alter_table('session_record', schema=None) as batch_op:
        batch_op.drop_column('patient_told')
        batch_op.drop_column('setting')
