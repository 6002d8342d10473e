"""repair: treatment_plan.schedule_pending on databases made before 0003 gained it

0003 was edited after its release (5e19c37 added treatment_plan.schedule_pending to it), so a
database made from f2bd834 up to that change says it is past 0003 without the column: it
upgraded "successfully", `flask db check` named the column and every page reading plans failed.
This adds the column only where it is missing (existing plans: not pending) and does nothing on
any other database. Released migrations are never edited: a change is a new migration.

Revision ID: 0016
Revises: 0015
"""
from alembic import op
import sqlalchemy as sa


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def _has_column() -> bool:
    columns = sa.inspect(op.get_bind()).get_columns('treatment_plan')
    return any(column['name'] == 'schedule_pending' for column in columns)


def upgrade():
    if _has_column():
        return
    with op.batch_alter_table('treatment_plan', schema=None) as batch_op:
        batch_op.add_column(sa.Column('schedule_pending', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    # As 0003 makes it: no server default (the model supplies False).
    with op.batch_alter_table('treatment_plan', schema=None) as batch_op:
        batch_op.alter_column('schedule_pending', server_default=None)


def downgrade():
    # Nothing to undo: on every database the column now belongs to 0003.
    pass
