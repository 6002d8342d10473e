"""outcome rows recomputed: a course's baseline is never a value from before the patient's
previous course ended (clinical.outcomes.course_baseline); rows kept under the old rule would
show a second course against the first course's intake. The dashboard fills missing rows (or
`flask rebuild-outcomes`).

Revision ID: 0029
Revises: 0028
"""
import sqlalchemy as sa
from alembic import op

revision = '0029'
down_revision = '0028'
branch_labels = None
depends_on = None


def upgrade():
    op.execute(sa.text('DELETE FROM plan_outcome'))


def downgrade():
    op.execute(sa.text('DELETE FROM plan_outcome'))
