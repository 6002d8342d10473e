"""other instruments: a licensed instrument's total entered by name, with its scale and direction

Revision ID: 0005
Revises: 0004
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('measurement', schema=None) as batch_op:
        batch_op.add_column(sa.Column('label', sa.String(length=120), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('scale_min', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('scale_max', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('higher_is_better', sa.Boolean(), nullable=True))


def downgrade():
    with op.batch_alter_table('measurement', schema=None) as batch_op:
        batch_op.drop_column('higher_is_better')
        batch_op.drop_column('scale_max')
        batch_op.drop_column('scale_min')
        batch_op.drop_column('label')
