"""sessions: session records, points, adverse events, safety confirmations, amendments

Revision ID: 0004
Revises: 0003
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('session_record',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('practitioner_id', sa.Integer(), nullable=False),
    sa.Column('appointment_id', sa.Integer(), nullable=True),
    sa.Column('plan_id', sa.Integer(), nullable=True),
    sa.Column('number', sa.Integer(), nullable=True),
    sa.Column('visit_on', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('pain_before', sa.Integer(), nullable=True),
    sa.Column('pain_after', sa.Integer(), nullable=True),
    sa.Column('subjective', sa.Text(), nullable=False),
    sa.Column('objective', sa.Text(), nullable=False),
    sa.Column('assessment', sa.Text(), nullable=False),
    sa.Column('plan_notes', sa.Text(), nullable=False),
    sa.Column('style', sa.String(length=30), nullable=False),
    sa.Column('depth', sa.String(length=60), nullable=False),
    sa.Column('response_sought', sa.String(length=20), nullable=False),
    sa.Column('response_obtained', sa.Boolean(), nullable=True),
    sa.Column('stimulation', sa.String(length=20), nullable=False),
    sa.Column('manual_technique', sa.String(length=20), nullable=False),
    sa.Column('electro_pairs', sa.String(length=200), nullable=False),
    sa.Column('electro_hz', sa.String(length=30), nullable=False),
    sa.Column('electro_waveform', sa.String(length=20), nullable=False),
    sa.Column('electro_intensity', sa.String(length=60), nullable=False),
    sa.Column('electro_minutes', sa.Integer(), nullable=True),
    sa.Column('retention_minutes', sa.Integer(), nullable=True),
    sa.Column('needle_type', sa.String(length=120), nullable=False),
    sa.Column('extra_insertions', sa.Integer(), nullable=False),
    sa.Column('insertions', sa.Integer(), nullable=False),
    sa.Column('adjuncts', sa.JSON(), nullable=False),
    sa.Column('adjunct_notes', sa.Text(), nullable=False),
    sa.Column('no_adverse_events', sa.Boolean(), nullable=True),
    sa.Column('needles_reconciled', sa.Boolean(), nullable=False),
    sa.Column('is_reevaluation', sa.Boolean(), nullable=False),
    sa.Column('reeval_decision', sa.String(length=20), nullable=False),
    sa.Column('reeval_notes', sa.Text(), nullable=False),
    sa.Column('draft', sa.JSON(), nullable=True),
    sa.Column('draft_saved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('signed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('signed_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['appointment_id'], ['appointment.id'], name=op.f('fk_session_record_appointment_id_appointment')),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_session_record_patient_id_patient')),
    sa.ForeignKeyConstraint(['plan_id'], ['treatment_plan.id'], name=op.f('fk_session_record_plan_id_treatment_plan')),
    sa.ForeignKeyConstraint(['practitioner_id'], ['user.id'], name=op.f('fk_session_record_practitioner_id_user')),
    sa.ForeignKeyConstraint(['signed_by_id'], ['user.id'], name=op.f('fk_session_record_signed_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_session_record')),
    sa.UniqueConstraint('appointment_id', name=op.f('uq_session_record_appointment_id'))
    )
    with op.batch_alter_table('session_record', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_session_record_patient_id'), ['patient_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_session_record_plan_id'), ['plan_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_session_record_practitioner_id'), ['practitioner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_session_record_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_session_record_visit_on'), ['visit_on'], unique=False)

    op.create_table('adverse_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('site', sa.String(length=120), nullable=False),
    sa.Column('severity', sa.String(length=10), nullable=False),
    sa.Column('serious', sa.Boolean(), nullable=False),
    sa.Column('action', sa.Text(), nullable=False),
    sa.Column('outcome', sa.Text(), nullable=False),
    sa.Column('referral', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['session_record.id'], name=op.f('fk_adverse_event_session_id_session_record')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_adverse_event'))
    )
    with op.batch_alter_table('adverse_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_adverse_event_session_id'), ['session_id'], unique=False)

    op.create_table('amendment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('changes', sa.JSON(), nullable=False),
    sa.Column('amended_by_id', sa.Integer(), nullable=False),
    sa.Column('amended_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['amended_by_id'], ['user.id'], name=op.f('fk_amendment_amended_by_id_user')),
    sa.ForeignKeyConstraint(['session_id'], ['session_record.id'], name=op.f('fk_amendment_session_id_session_record')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_amendment'))
    )
    with op.batch_alter_table('amendment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_amendment_session_id'), ['session_id'], unique=False)

    op.create_table('safety_confirmation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('rule', sa.String(length=60), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.Column('confirmed_by_id', sa.Integer(), nullable=False),
    sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['confirmed_by_id'], ['user.id'], name=op.f('fk_safety_confirmation_confirmed_by_id_user')),
    sa.ForeignKeyConstraint(['session_id'], ['session_record.id'], name=op.f('fk_safety_confirmation_session_id_session_record')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_safety_confirmation'))
    )
    with op.batch_alter_table('safety_confirmation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_safety_confirmation_session_id'), ['session_id'], unique=False)

    op.create_table('session_point',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=12), nullable=True),
    sa.Column('location', sa.String(length=200), nullable=False),
    sa.Column('side', sa.String(length=12), nullable=False),
    sa.Column('depth', sa.String(length=60), nullable=False),
    sa.Column('stimulation', sa.String(length=20), nullable=False),
    sa.Column('retention_minutes', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['session_id'], ['session_record.id'], name=op.f('fk_session_point_session_id_session_record')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_session_point'))
    )
    with op.batch_alter_table('session_point', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_session_point_code'), ['code'], unique=False)
        batch_op.create_index(batch_op.f('ix_session_point_session_id'), ['session_id'], unique=False)

    with op.batch_alter_table('measurement', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_measurement_session_id'), ['session_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_measurement_session_id_session_record'), 'session_record', ['session_id'], ['id'])


def downgrade():
    with op.batch_alter_table('measurement', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_measurement_session_id_session_record'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_measurement_session_id'))
        batch_op.drop_column('session_id')

    with op.batch_alter_table('session_point', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_session_point_session_id'))
        batch_op.drop_index(batch_op.f('ix_session_point_code'))

    op.drop_table('session_point')
    with op.batch_alter_table('safety_confirmation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_safety_confirmation_session_id'))

    op.drop_table('safety_confirmation')
    with op.batch_alter_table('amendment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_amendment_session_id'))

    op.drop_table('amendment')
    with op.batch_alter_table('adverse_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_adverse_event_session_id'))

    op.drop_table('adverse_event')
    with op.batch_alter_table('session_record', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_session_record_visit_on'))
        batch_op.drop_index(batch_op.f('ix_session_record_status'))
        batch_op.drop_index(batch_op.f('ix_session_record_practitioner_id'))
        batch_op.drop_index(batch_op.f('ix_session_record_plan_id'))
        batch_op.drop_index(batch_op.f('ix_session_record_patient_id'))

    op.drop_table('session_record')
