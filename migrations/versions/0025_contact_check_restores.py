"""a patient's address changed by reception awaits a clinician before check-in links go to it;
an appointment counts its restores after a cancellation (its calendar SEQUENCE rises)

Revision ID: 0025
Revises: 0024
"""
import sqlalchemy as sa
from alembic import op

revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'contact_check',
        sa.Column('patient_id', sa.Integer(), nullable=False),
        sa.Column('fields', sa.String(length=40), nullable=False),
        sa.Column('changed_by_id', sa.Integer(), nullable=True),
        sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('confirmed_by_id', sa.Integer(), nullable=True),
        sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['patient_id'], ['patient.id'],
                                name=op.f('fk_contact_check_patient_id_patient'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['changed_by_id'], ['user.id'],
                                name=op.f('fk_contact_check_changed_by_id_user'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['confirmed_by_id'], ['user.id'],
                                name=op.f('fk_contact_check_confirmed_by_id_user'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('patient_id', name=op.f('pk_contact_check')))
    with op.batch_alter_table('appointment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('restores', sa.Integer(), nullable=False,
                                      server_default='0'))


def downgrade():
    with op.batch_alter_table('appointment', schema=None) as batch_op:
        batch_op.drop_column('restores')
    op.drop_table('contact_check')
