"""weekly check-ins (what a plan asks, each week's private link, the measurement's check-in),
the patient's own page (opt-in) and their requests to cancel or move a visit

Revision ID: 0020
Revises: 0019
"""
import sqlalchemy as sa
from alembic import op

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('patient_page',
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('changed_by_id', sa.Integer(), nullable=True),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['changed_by_id'], ['user.id'], name=op.f('fk_patient_page_changed_by_id_user')),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_patient_page_patient_id_patient'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('patient_id', name=op.f('pk_patient_page'))
    )
    op.create_table('checkin',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_checkin_created_by_id_user')),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_checkin_patient_id_patient')),
    sa.ForeignKeyConstraint(['plan_id'], ['treatment_plan.id'], name=op.f('fk_checkin_plan_id_treatment_plan'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checkin')),
    sa.UniqueConstraint('plan_id', 'due_on', name='uq_checkin_plan_due'),
    sa.UniqueConstraint('token_hash', name=op.f('uq_checkin_token_hash'))
    )
    with op.batch_alter_table('checkin', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_checkin_patient_id'), ['patient_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_checkin_plan_id'), ['plan_id'], unique=False)

    op.create_table('checkin_plan',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('weekday', sa.Integer(), nullable=False),
    sa.Column('measures', sa.JSON(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_checkin_plan_created_by_id_user')),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_checkin_plan_patient_id_patient')),
    sa.ForeignKeyConstraint(['plan_id'], ['treatment_plan.id'], name=op.f('fk_checkin_plan_plan_id_treatment_plan'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checkin_plan')),
    sa.UniqueConstraint('plan_id', name=op.f('uq_checkin_plan_plan_id'))
    )
    with op.batch_alter_table('checkin_plan', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_checkin_plan_patient_id'), ['patient_id'], unique=False)

    op.create_table('visit_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('appointment_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('checkin_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('handled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('handled_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['appointment_id'], ['appointment.id'], name=op.f('fk_visit_request_appointment_id_appointment')),
    sa.ForeignKeyConstraint(['checkin_id'], ['checkin.id'], name=op.f('fk_visit_request_checkin_id_checkin')),
    sa.ForeignKeyConstraint(['handled_by_id'], ['user.id'], name=op.f('fk_visit_request_handled_by_id_user')),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_visit_request_patient_id_patient')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visit_request'))
    )
    with op.batch_alter_table('visit_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_visit_request_appointment_id'), ['appointment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_visit_request_patient_id'), ['patient_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_visit_request_status'), ['status'], unique=False)

    with op.batch_alter_table('measurement', schema=None) as batch_op:
        batch_op.add_column(sa.Column('checkin_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_measurement_checkin_id'), ['checkin_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_measurement_checkin_id_checkin'), 'checkin', ['checkin_id'], ['id'])



def downgrade():
    with op.batch_alter_table('measurement', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_measurement_checkin_id_checkin'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_measurement_checkin_id'))
        batch_op.drop_column('checkin_id')

    with op.batch_alter_table('visit_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_visit_request_status'))
        batch_op.drop_index(batch_op.f('ix_visit_request_patient_id'))
        batch_op.drop_index(batch_op.f('ix_visit_request_appointment_id'))

    op.drop_table('visit_request')
    with op.batch_alter_table('checkin_plan', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_checkin_plan_patient_id'))

    op.drop_table('checkin_plan')
    with op.batch_alter_table('checkin', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_checkin_plan_id'))
        batch_op.drop_index(batch_op.f('ix_checkin_patient_id'))

    op.drop_table('checkin')
    op.drop_table('patient_page')
