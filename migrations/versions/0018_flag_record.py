"""safety flags as a clinical record: who raised a flag, the pregnancy stage (weeks as recorded
on a day, or the due date), what the medicine list matched; plan remedy confirmations

Revision ID: 0018
Revises: 0017
"""
import sqlalchemy as sa
from alembic import op

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('safety_flag', schema=None) as batch_op:
        batch_op.add_column(sa.Column('raised_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('weeks', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('weeks_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('due_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('matched', sa.Text(), nullable=False, server_default=''))
        batch_op.create_foreign_key(batch_op.f('fk_safety_flag_raised_by_id_user'), 'user',
                                    ['raised_by_id'], ['id'])
    op.create_table('plan_safety_confirmation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('rule', sa.String(length=60), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.Column('confirmed_by_id', sa.Integer(), nullable=False),
    sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['confirmed_by_id'], ['user.id'], name=op.f('fk_plan_safety_confirmation_confirmed_by_id_user')),
    sa.ForeignKeyConstraint(['plan_id'], ['treatment_plan.id'], name=op.f('fk_plan_safety_confirmation_plan_id_treatment_plan')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_safety_confirmation'))
    )
    with op.batch_alter_table('plan_safety_confirmation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plan_safety_confirmation_plan_id'), ['plan_id'], unique=False)


def downgrade():
    with op.batch_alter_table('plan_safety_confirmation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plan_safety_confirmation_plan_id'))
    op.drop_table('plan_safety_confirmation')
    with op.batch_alter_table('safety_flag', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_safety_flag_raised_by_id_user'),
                                 type_='foreignkey')
        batch_op.drop_column('matched')
        batch_op.drop_column('due_on')
        batch_op.drop_column('weeks_on')
        batch_op.drop_column('weeks')
        batch_op.drop_column('raised_by_id')
