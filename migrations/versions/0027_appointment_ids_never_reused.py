"""appointment ids never reused on SQLite (AUTOINCREMENT): a visit's id is its calendar UID on
the patient's phone and its name in the audit trail, so a new visit must not take a deleted
one's. PostgreSQL sequences never reuse ids; nothing changes there.

Revision ID: 0027
Revises: 0026
"""
import sqlalchemy as sa
from alembic import op

revision = '0027'
down_revision = '0026'
branch_labels = None
depends_on = None


def _rebuild(autoincrement: bool) -> None:
    # env.py turns SQLite's foreign keys off around migrations, so the copy-and-rename keeps
    # every row that points at an appointment.
    with op.batch_alter_table('appointment', recreate='always',
                              table_kwargs={'sqlite_autoincrement': autoincrement}):
        pass


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name != 'sqlite':
        return
    _rebuild(True)
    # An id handed out before (its visit since deleted, its UID maybe on a phone) counts as
    # used: every visit's creation is in the audit trail.
    highest = bind.execute(sa.text(
        "SELECT max(coalesce((SELECT max(id) FROM appointment), 0),"
        " coalesce((SELECT max(CAST(entity_id AS INTEGER)) FROM audit_entry"
        "           WHERE entity = 'Appointment'), 0))")).scalar()
    bind.execute(sa.text("DELETE FROM sqlite_sequence WHERE name = 'appointment'"))
    bind.execute(sa.text("INSERT INTO sqlite_sequence (name, seq) VALUES ('appointment', :n)"),
                 {"n": highest})


def downgrade():
    if op.get_bind().dialect.name == 'sqlite':
        _rebuild(False)
