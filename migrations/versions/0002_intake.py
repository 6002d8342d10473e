"""intake: invitations, intakes, measurements, safety flags

Revision ID: 0002
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('intake',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('current_step', sa.String(length=20), nullable=False),
    sa.Column('draft', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reviewed_by_id', sa.Integer(), nullable=True),
    sa.Column('reopened_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('given_name', sa.String(length=100), nullable=False),
    sa.Column('family_name', sa.String(length=100), nullable=False),
    sa.Column('date_of_birth', sa.Date(), nullable=True),
    sa.Column('phone', sa.String(length=40), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('address', sa.Text(), nullable=False),
    sa.Column('emergency_contact_name', sa.String(length=120), nullable=False),
    sa.Column('emergency_contact_phone', sa.String(length=40), nullable=False),
    sa.Column('family_doctor', sa.String(length=200), nullable=False),
    sa.Column('complaint', sa.Text(), nullable=False),
    sa.Column('condition_other', sa.String(length=200), nullable=False),
    sa.Column('pain_duration', sa.String(length=10), nullable=False),
    sa.Column('better_with', sa.Text(), nullable=False),
    sa.Column('worse_with', sa.Text(), nullable=False),
    sa.Column('medication_for_pain', sa.Text(), nullable=False),
    sa.Column('medical_history', sa.Text(), nullable=False),
    sa.Column('surgeries', sa.Text(), nullable=False),
    sa.Column('supplements', sa.Text(), nullable=False),
    sa.Column('allergies', sa.Text(), nullable=False),
    sa.Column('previous_treatments', sa.Text(), nullable=False),
    sa.Column('what_helped', sa.Text(), nullable=False),
    sa.Column('goals', sa.Text(), nullable=False),
    sa.Column('consent_name', sa.String(length=200), nullable=False),
    sa.Column('consent_date', sa.Date(), nullable=True),
    sa.Column('consent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('consent_version', sa.Integer(), nullable=True),
    sa.Column('consent_text', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_intake_patient_id_patient')),
    sa.ForeignKeyConstraint(['reviewed_by_id'], ['user.id'], name=op.f('fk_intake_reviewed_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_intake'))
    )
    with op.batch_alter_table('intake', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_intake_patient_id'), ['patient_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_intake_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_intake_submitted_at'), ['submitted_at'], unique=False)

    op.create_table('intake_answer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('intake_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('code', sa.String(length=30), nullable=False),
    sa.Column('answer', sa.String(length=10), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['intake_id'], ['intake.id'], name=op.f('fk_intake_answer_intake_id_intake')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_intake_answer'))
    )
    with op.batch_alter_table('intake_answer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_intake_answer_intake_id'), ['intake_id'], unique=False)

    op.create_table('intake_condition',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('intake_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=30), nullable=False),
    sa.ForeignKeyConstraint(['intake_id'], ['intake.id'], name=op.f('fk_intake_condition_intake_id_intake')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_intake_condition'))
    )
    with op.batch_alter_table('intake_condition', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_intake_condition_intake_id'), ['intake_id'], unique=False)

    op.create_table('intake_invitation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('intake_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_intake_invitation_created_by_id_user')),
    sa.ForeignKeyConstraint(['intake_id'], ['intake.id'], name=op.f('fk_intake_invitation_intake_id_intake')),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_intake_invitation_patient_id_patient')),
    sa.ForeignKeyConstraint(['revoked_by_id'], ['user.id'], name=op.f('fk_intake_invitation_revoked_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_intake_invitation')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_intake_invitation_token_hash'))
    )
    with op.batch_alter_table('intake_invitation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_intake_invitation_intake_id'), ['intake_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_intake_invitation_patient_id'), ['patient_id'], unique=False)

    op.create_table('intake_medication',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('intake_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('dose', sa.String(length=100), nullable=False),
    sa.Column('how_often', sa.String(length=100), nullable=False),
    sa.ForeignKeyConstraint(['intake_id'], ['intake.id'], name=op.f('fk_intake_medication_intake_id_intake')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_intake_medication'))
    )
    with op.batch_alter_table('intake_medication', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_intake_medication_intake_id'), ['intake_id'], unique=False)

    op.create_table('intake_region',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('intake_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=30), nullable=False),
    sa.ForeignKeyConstraint(['intake_id'], ['intake.id'], name=op.f('fk_intake_region_intake_id_intake')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_intake_region'))
    )
    with op.batch_alter_table('intake_region', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_intake_region_intake_id'), ['intake_id'], unique=False)

    op.create_table('measurement',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('instrument', sa.String(length=30), nullable=False),
    sa.Column('time_frame', sa.String(length=30), nullable=False),
    sa.Column('value', sa.Float(), nullable=False),
    sa.Column('items', sa.JSON(), nullable=True),
    sa.Column('taken_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('intake_id', sa.Integer(), nullable=True),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['intake_id'], ['intake.id'], name=op.f('fk_measurement_intake_id_intake')),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_measurement_patient_id_patient')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['user.id'], name=op.f('fk_measurement_recorded_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_measurement'))
    )
    with op.batch_alter_table('measurement', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_measurement_intake_id'), ['intake_id'], unique=False)
        batch_op.create_index('ix_measurement_patient_instrument', ['patient_id', 'instrument', 'taken_at'], unique=False)

    op.create_table('safety_flag',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('intake_id', sa.Integer(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolved_by_id', sa.Integer(), nullable=True),
    sa.Column('resolution', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['intake_id'], ['intake.id'], name=op.f('fk_safety_flag_intake_id_intake')),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_safety_flag_patient_id_patient')),
    sa.ForeignKeyConstraint(['resolved_by_id'], ['user.id'], name=op.f('fk_safety_flag_resolved_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_safety_flag'))
    )
    with op.batch_alter_table('safety_flag', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_safety_flag_intake_id'), ['intake_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_safety_flag_patient_id'), ['patient_id'], unique=False)


def downgrade():
    with op.batch_alter_table('safety_flag', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_safety_flag_patient_id'))
        batch_op.drop_index(batch_op.f('ix_safety_flag_intake_id'))

    op.drop_table('safety_flag')
    with op.batch_alter_table('measurement', schema=None) as batch_op:
        batch_op.drop_index('ix_measurement_patient_instrument')
        batch_op.drop_index(batch_op.f('ix_measurement_intake_id'))

    op.drop_table('measurement')
    with op.batch_alter_table('intake_region', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_intake_region_intake_id'))

    op.drop_table('intake_region')
    with op.batch_alter_table('intake_medication', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_intake_medication_intake_id'))

    op.drop_table('intake_medication')
    with op.batch_alter_table('intake_invitation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_intake_invitation_patient_id'))
        batch_op.drop_index(batch_op.f('ix_intake_invitation_intake_id'))

    op.drop_table('intake_invitation')
    with op.batch_alter_table('intake_condition', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_intake_condition_intake_id'))

    op.drop_table('intake_condition')
    with op.batch_alter_table('intake_answer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_intake_answer_intake_id'))

    op.drop_table('intake_answer')
    with op.batch_alter_table('intake', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_intake_submitted_at'))
        batch_op.drop_index(batch_op.f('ix_intake_status'))
        batch_op.drop_index(batch_op.f('ix_intake_patient_id'))

    op.drop_table('intake')
