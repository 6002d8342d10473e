"""patient name tokens: each folded word of a patient's names, for index-served prefix search

Revision ID: 0007
Revises: 0006
"""
import sqlalchemy as sa
from alembic import op


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    token = op.create_table(
        'patient_name_token',
        sa.Column('token', sa.String(length=100).with_variant(
            sa.String(length=100, collation='C'), 'postgresql'), nullable=False),
        sa.Column('patient_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['patient_id'], ['patient.id'],
                                name=op.f('fk_patient_name_token_patient_id_patient'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('token', 'patient_id', name=op.f('pk_patient_name_token')),
    )
    op.create_index('ix_patient_name_token_patient', 'patient_name_token', ['patient_id'])
    # The words of the folded name column the register already keeps (patients/services.py).
    conn = op.get_bind()
    patient = sa.table('patient', sa.column('id', sa.Integer), sa.column('search_name'))
    rows = conn.execute(sa.select(patient.c.id, patient.c.search_name)).all()
    batch = []
    for patient_id, search_name in rows:
        batch += [{'patient_id': patient_id, 'token': word[:100]}
                  for word in sorted(set((search_name or '').split()))]
        if len(batch) >= 5000:
            conn.execute(token.insert(), batch)
            batch = []
    if batch:
        conn.execute(token.insert(), batch)


def downgrade():
    op.drop_index('ix_patient_name_token_patient', table_name='patient_name_token')
    op.drop_table('patient_name_token')
