"""the clinic's date style (one format on every page, letter and PDF) and its logo for letters

Revision ID: 0022
Revises: 0021
"""
import sqlalchemy as sa
from alembic import op

revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('clinic_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('date_style', sa.String(length=12), nullable=False,
                                      server_default='d_mon_y'))
    op.create_table(
        'clinic_logo',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('mimetype', sa.String(length=20), nullable=False),
        sa.Column('data', sa.LargeBinary(), nullable=False),
        sa.Column('width', sa.Integer(), nullable=False),
        sa.Column('height', sa.Integer(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_clinic_logo')))


def downgrade():
    op.drop_table('clinic_logo')
    with op.batch_alter_table('clinic_settings', schema=None) as batch_op:
        batch_op.drop_column('date_style')
