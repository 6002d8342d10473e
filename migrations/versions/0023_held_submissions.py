"""forms posted after the login expired, held until the same person signs in again

Revision ID: 0023
Revises: 0022
"""
import sqlalchemy as sa
from alembic import op

revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'held_submission',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('path', sa.String(length=2000), nullable=False),
        sa.Column('fields', sa.JSON(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['user.id'], ondelete='CASCADE',
                                name=op.f('fk_held_submission_user_id_user')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_held_submission')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_held_submission_token_hash')),
    )
    with op.batch_alter_table('held_submission', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_held_submission_created_at'), ['created_at'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_held_submission_user_id'), ['user_id'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('held_submission', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_held_submission_user_id'))
        batch_op.drop_index(batch_op.f('ix_held_submission_created_at'))
    op.drop_table('held_submission')
