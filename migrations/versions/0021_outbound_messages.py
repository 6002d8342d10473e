"""outbound messages (the outbox), mail and reminder settings, each patient's message choices

Revision ID: 0021
Revises: 0020
"""
import sqlalchemy as sa
from alembic import op

revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('outbound_message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=True),
    sa.Column('appointment_id', sa.Integer(), nullable=True),
    sa.Column('invitation_id', sa.Integer(), nullable=True),
    sa.Column('recipient', sa.String(length=254), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('body_sealed', sa.Text(), nullable=False),
    sa.Column('dedupe_key', sa.String(length=120), nullable=True),
    sa.Column('message_id', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('claimed_by', sa.String(length=80), nullable=False),
    sa.Column('claimed_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.String(length=300), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('failed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('keep_body_until', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['appointment_id'], ['appointment.id'],
                            name=op.f('fk_outbound_message_appointment_id_appointment'),
                            ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'],
                            name=op.f('fk_outbound_message_created_by_id_user'),
                            ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['invitation_id'], ['intake_invitation.id'],
                            name=op.f('fk_outbound_message_invitation_id_intake_invitation'),
                            ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'],
                            name=op.f('fk_outbound_message_patient_id_patient'),
                            ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbound_message')),
    sa.UniqueConstraint('dedupe_key', name=op.f('uq_outbound_message_dedupe_key'))
    )
    with op.batch_alter_table('outbound_message', schema=None) as batch_op:
        batch_op.create_index('ix_outbound_message_due', ['status', 'next_attempt_at'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_outbound_message_appointment_id'),
                              ['appointment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbound_message_created_at'), ['created_at'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_outbound_message_invitation_id'),
                              ['invitation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbound_message_patient_id'), ['patient_id'],
                              unique=False)

    with op.batch_alter_table('clinic_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('mail_from', sa.String(length=254), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('smtp_host', sa.String(length=253), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('smtp_port', sa.Integer(), nullable=False,
                                      server_default='587'))
        batch_op.add_column(sa.Column('smtp_tls', sa.String(length=10), nullable=False,
                                      server_default='starttls'))
        batch_op.add_column(sa.Column('smtp_username', sa.String(length=254), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('smtp_password_sealed', sa.Text(), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('reminder_hours', sa.Integer(), nullable=False,
                                      server_default='24'))

    with op.batch_alter_table('patient', schema=None) as batch_op:
        batch_op.add_column(sa.Column('preferred_channel', sa.String(length=10), nullable=False,
                                      server_default='email'))
        batch_op.add_column(sa.Column('reminder_opt_out', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))


def downgrade():
    with op.batch_alter_table('patient', schema=None) as batch_op:
        batch_op.drop_column('reminder_opt_out')
        batch_op.drop_column('preferred_channel')
    with op.batch_alter_table('clinic_settings', schema=None) as batch_op:
        for name in ('reminder_hours', 'smtp_password_sealed', 'smtp_username', 'smtp_tls',
                     'smtp_port', 'smtp_host', 'mail_from'):
            batch_op.drop_column(name)
    with op.batch_alter_table('outbound_message', schema=None) as batch_op:
        for name in ('ix_outbound_message_patient_id', 'ix_outbound_message_invitation_id',
                     'ix_outbound_message_created_at', 'ix_outbound_message_appointment_id',
                     'ix_outbound_message_due'):
            batch_op.drop_index(name)
    op.drop_table('outbound_message')
