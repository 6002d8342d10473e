"""patients by last visit, newest first and never-seen last (PostgreSQL only)

SQLite cannot keep NULLS LAST in an index, and sorts the register quickly without one.

Revision ID: 0010
Revises: 0009
"""
import sqlalchemy as sa
from alembic import op


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.create_index('ix_patient_last_visit_sort', 'patient',
                        [sa.text('last_visit_on DESC NULLS LAST'), 'sort_name'])


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.drop_index('ix_patient_last_visit_sort', table_name='patient')
