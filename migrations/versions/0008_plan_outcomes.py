"""plan outcomes: each plan's outcome figures, read by the clinic dashboard

Rows are derived data: the dashboard fills those missing (every plan, after this upgrade) the
first time it is read, and writes keep them in step (tracker/reports/plan_outcomes.py).

Revision ID: 0008
Revises: 0007
"""
import sqlalchemy as sa
from alembic import op


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'plan_outcome',
        sa.Column('plan_id', sa.Integer(), nullable=False),
        sa.Column('scored', sa.Boolean(), nullable=False),
        sa.Column('seen_6', sa.Boolean(), nullable=False),
        sa.Column('resp_6', sa.Boolean(), nullable=False),
        sa.Column('seen_10', sa.Boolean(), nullable=False),
        sa.Column('resp_10', sa.Boolean(), nullable=False),
        sa.Column('first_resp', sa.Integer(), nullable=True),
        sa.Column('last_n', sa.Integer(), nullable=True),
        sa.Column('last_resp_n', sa.Integer(), nullable=True),
        sa.Column('attended', sa.Integer(), nullable=False),
        sa.Column('no_show', sa.Integer(), nullable=False),
        sa.Column('settled', sa.Integer(), nullable=False),
        sa.Column('sessions', sa.Integer(), nullable=False),
        sa.Column('adverse_events', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['plan_id'], ['treatment_plan.id'],
                                name=op.f('fk_plan_outcome_plan_id_treatment_plan'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('plan_id', name=op.f('pk_plan_outcome')),
    )


def downgrade():
    op.drop_table('plan_outcome')
