"""two-factor secrets stored sealed (tracker/sealing.py): the column widens for the sealed
token, and secrets stored before are sealed in place

Revision ID: 0026
Revises: 0025
"""
import sqlalchemy as sa
from alembic import op

revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user') as batch:
        batch.alter_column('totp_secret', existing_type=sa.String(length=64),
                           type_=sa.String(length=255), existing_nullable=True)
    # Sealing needs the instance's key, so it runs inside the app (`flask db upgrade`).
    from tracker.sealing import seal
    user = sa.table('user', sa.column('id', sa.Integer), sa.column('totp_secret', sa.String))
    bind = op.get_bind()
    for row in bind.execute(sa.select(user.c.id, user.c.totp_secret)
                            .where(user.c.totp_secret.is_not(None))).all():
        if not row.totp_secret.startswith("gAAAAA"):  # a Fernet token: sealed already
            bind.execute(user.update().where(user.c.id == row.id)
                         .values(totp_secret=seal(row.totp_secret)))


def downgrade():
    from tracker.sealing import unseal
    user = sa.table('user', sa.column('id', sa.Integer), sa.column('totp_secret', sa.String))
    bind = op.get_bind()
    for row in bind.execute(sa.select(user.c.id, user.c.totp_secret)
                            .where(user.c.totp_secret.is_not(None))).all():
        bind.execute(user.update().where(user.c.id == row.id)
                     .values(totp_secret=unseal(row.totp_secret)))
    with op.batch_alter_table('user') as batch:
        batch.alter_column('totp_secret', existing_type=sa.String(length=255),
                           type_=sa.String(length=64), existing_nullable=True)
