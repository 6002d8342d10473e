"""plan_outcome: each course's response on its evidence measure (average pain over the past
week where collected at re-evaluations, else pain before needling), for the dashboard's
intention-to-treat share, completers and time-to-first-response curve

The rows are a cache of figures derived from the plans' records: they are emptied here and the
dashboard fills them again as it is read (or `flask rebuild-outcomes`).

Revision ID: 0017
Revises: 0016
"""
from alembic import op
import sqlalchemy as sa


revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    op.execute(sa.text('DELETE FROM plan_outcome'))
    with op.batch_alter_table('plan_outcome', schema=None) as batch_op:
        batch_op.add_column(sa.Column('measure', sa.String(length=20), nullable=False,
                                      server_default='nrs_now'))
        batch_op.add_column(sa.Column('m_first', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('m_last', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('m_state', sa.Text(), nullable=False, server_default=''))


def downgrade():
    with op.batch_alter_table('plan_outcome', schema=None) as batch_op:
        batch_op.drop_column('m_state')
        batch_op.drop_column('m_last')
        batch_op.drop_column('m_first')
        batch_op.drop_column('measure')
